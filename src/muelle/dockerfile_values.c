/* Dockerfile value checks and typed values that need the final text:
 * --chown, --chmod, --checksum, EXPOSE ports, RUN --mount/--network/
 * --security, USER, STOPSIGNAL, VOLUME.  Called at parse time (values
 * holding no $, quote or escape char are already final) and again by
 * dockerfile_expand_instruction after substitution.  */
#include <config.h>
#include "dockerfile.h"
#include "cleanup.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct vctx
{
  const struct dockerfile_instruction *inst;
  const char *filename;
  estiba_error_t *err;
};

__attribute__ ((format (printf, 2, 3))) static int
verr (const struct vctx *v, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&msg, fmt, ap);
  va_end (ap);
  if (r < 0)
    return estiba_error_errno (v->err, "vasprintf");
  return estiba_error (v->err, 0, "%s:%d: %s", v->filename, v->inst->line, msg);
}

/* Final already: expanded, or nothing expansion would change.  */
static bool
final (const struct dockerfile_instruction *inst, const char *s)
{
  return s != NULL && (inst->expanded || strpbrk (s, "$'\"\\`") == NULL);
}

static int
check_chown (const struct vctx *v, const char *s)
{
  const char *colon = strchr (s, ':');
  if (*s == '\0' || colon == s || (colon && (colon[1] == '\0' || strchr (colon + 1, ':'))))
    return verr (v, "%s --chown: invalid value \"%s\"", dockerfile_kind_name (v->inst->kind), s);
  return 0;
}

/* Octal (up to 07777) or symbolic ([ugoa]*[+-=][rwxXst]*, comma list).  */
static int
check_chmod (const struct vctx *v, const char *s, long *octal)
{
  const char *p = s;
  *octal = -1;
  if (*s && strspn (s, "01234567") == strlen (s))
    {
      if (strlen (s) <= 5 && (*octal = strtol (s, NULL, 8)) <= 07777)
        return 0;
      *octal = -1;
    }
  else if (*s)
    {
      for (;;)
        {
          p += strspn (p, "ugoa");
          if (*p != '+' && *p != '-' && *p != '=')
            break;
          while (*p == '+' || *p == '-' || *p == '=')
            p += 1 + strspn (p + 1, "rwxXst");
          if (*p == '\0')
            return 0;
          if (*p++ != ',')
            break;
        }
    }
  return verr (v, "%s --chmod: invalid value \"%s\"", dockerfile_kind_name (v->inst->kind), s);
}

static int
check_checksum (const struct vctx *v, const char *s)
{
  static const struct
  {
    const char *alg;
    size_t hex;
  } algs[] = { { "sha256:", 64 }, { "sha384:", 96 }, { "sha512:", 128 } };
  size_t i;
  for (i = 0; i < 3; i++)
    {
      size_t l = strlen (algs[i].alg);
      if (strncmp (s, algs[i].alg, l) == 0 && strlen (s + l) == algs[i].hex
          && strspn (s + l, "0123456789abcdef") == algs[i].hex)
        return 0;
    }
  return verr (v, "ADD --checksum: invalid value \"%s\"", s);
}

static int
check_copy (const struct vctx *v, struct dockerfile_instruction *inst)
{
  struct dockerfile_copy *c = &inst->copy;
  if (final (inst, c->chown) && check_chown (v, c->chown) < 0)
    return -1;
  if (final (inst, c->chmod) && check_chmod (v, c->chmod, &c->chmod_octal) < 0)
    return -1;
  if (final (inst, c->checksum) && check_checksum (v, c->checksum) < 0)
    return -1;
  if (c->from && final (inst, c->from) && c->from[0] == '\0')
    return verr (v, "COPY --from: invalid value \"\"");
  return 0;
}

static int
parse_port (const char *s, unsigned *out, const char **end)
{
  char *e;
  unsigned long n;
  if (!isdigit ((unsigned char) *s))
    return -1;
  errno = 0;
  n = strtoul (s, &e, 10);
  if (errno || n > 65535)
    return -1;
  *out = n;
  *end = e;
  return 0;
}

/* port[-port][/tcp|udp|sctp]  */
static int
check_ports (const struct vctx *v, struct dockerfile_instruction *inst)
{
  size_t i;

  for (i = 0; i < inst->n_ports; i++)
    free (inst->ports[i].proto);
  free (inst->ports);
  inst->ports = NULL;
  inst->n_ports = 0;
  for (i = 0; i < inst->args.n; i++)
    if (!final (inst, inst->args.v[i]))
      return 0;
  inst->ports = calloc (inst->args.n + 1, sizeof (*inst->ports));
  if (inst->ports == NULL)
    return estiba_error_errno (v->err, "calloc");
  for (i = 0; i < inst->args.n; i++)
    {
      const char *s = inst->args.v[i], *p;
      struct dockerfile_port *port = &inst->ports[i];
      if (parse_port (s, &port->start, &p) < 0)
        goto bad;
      port->end = port->start;
      if (*p == '-' && (parse_port (p + 1, &port->end, &p) < 0 || port->end < port->start))
        goto bad;
      if (*p == '/')
        p++;
      else if (*p)
        goto bad;
      port->proto = strdup (*p ? p : "tcp");
      if (port->proto == NULL)
        return estiba_error_errno (v->err, "strdup");
      inst->n_ports++;
      for (char *q = port->proto; *q; q++)
        *q = tolower ((unsigned char) *q);
      if (strcmp (port->proto, "tcp") && strcmp (port->proto, "udp") && strcmp (port->proto, "sctp"))
        goto bad;
      continue;
    bad:
      return verr (v, "EXPOSE: invalid port \"%s\"", s);
    }
  return 0;
}

static const char *const signal_names[] = {
  "HUP",  "INT",  "QUIT",   "ILL",  "TRAP",   "ABRT", "IOT",  "BUS",  "FPE",  "KILL",  "USR1",  "SEGV",
  "USR2", "PIPE", "ALRM",   "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",  "TTOU",  "URG",
  "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH",  "IO",   "POLL", "PWR",  "SYS",  "RTMIN", "RTMAX", NULL
};

static bool
valid_signal (const char *s)
{
  size_t i;
  if (isdigit ((unsigned char) *s))
    {
      char *end;
      long n = strtol (s, &end, 10);
      return *end == '\0' && n > 0 && n <= 64;
    }
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  if (strncasecmp (s, "RTMIN+", 6) == 0 || strncasecmp (s, "RTMAX-", 6) == 0)
    {
      char *end;
      long n = strtol (s + 6, &end, 10);
      return isdigit ((unsigned char) s[6]) && *end == '\0' && n >= 0 && n <= 30;
    }
  for (i = 0; signal_names[i]; i++)
    if (strcasecmp (s, signal_names[i]) == 0)
      return true;
  return false;
}

static int
check_user (const struct vctx *v, struct dockerfile_instruction *inst)
{
  const char *colon;
  free (inst->user);
  free (inst->group);
  inst->user = inst->group = NULL;
  if (!final (inst, inst->value))
    return 0;
  if (inst->value[0] == '\0')
    return verr (v, "USER requires exactly one argument");
  colon = strchr (inst->value, ':');
  inst->user = colon ? strndup (inst->value, colon - inst->value) : strdup (inst->value);
  if (colon)
    inst->group = strdup (colon + 1);
  if (inst->user == NULL || (colon && inst->group == NULL))
    return estiba_error_errno (v->err, "strdup");
  return 0;
}

/* ---- RUN --mount ---- */

/* Go's encoding/csv on one line: fields split on ',', "..." quoting.  */
static int
csv_fields (const char *s, struct dockerfile_strv *out)
{
  for (;;)
    {
      cleanup_free char *f = malloc (strlen (s) + 1);
      size_t n = 0;
      if (f == NULL)
        return -1;
      if (*s == '"')
        {
          s++;
          for (;;)
            {
              if (*s == '\0')
                return -2;
              if (*s == '"' && s[1] == '"')
                {
                  f[n++] = '"';
                  s += 2;
                }
              else if (*s == '"')
                {
                  s++;
                  break;
                }
              else
                f[n++] = *s++;
            }
          if (*s && *s != ',')
            return -2;
        }
      else
        while (*s && *s != ',')
          f[n++] = *s++;
      f[n] = '\0';
      if (dockerfile_strv_push (out, f) < 0)
        return -1;
      if (*s == '\0')
        return 0;
      s++;
    }
}

static int
parse_id_number (const char *s, long *out)
{
  char *end;
  errno = 0;
  *out = strtol (s, &end, 10);
  return (*s == '\0' || *end || errno || *out < 0 || *out > UINT32_MAX) ? -1 : 0;
}

/* Docker's RAMInBytes: number with optional b/k/m/g/t/p suffix (1024).  */
static int
parse_size (const char *s, int64_t *out)
{
  char *end;
  double v;
  errno = 0;
  v = strtod (s, &end);
  if (end == s || errno || v < 0 || !isdigit ((unsigned char) *s))
    return -1;
  const char *units = "bkmgtp";
  double mul = 1;
  if (*end)
    {
      const char *u = strchr (units, tolower ((unsigned char) *end));
      if (u == NULL)
        return -1;
      for (long i = 0; i < u - units; i++)
        mul *= 1024;
      end++;
      if (*end == 'b' || *end == 'B')
        end++;
      if (*end == 'i')
        end++;
    }
  if (*end || v * mul > 9e18)
    return -1;
  *out = (int64_t) (v * mul);
  return 0;
}

static int
mount_type (const char *s, enum dockerfile_mount_type *t)
{
  static const char *const names[] = { "bind", "cache", "tmpfs", "secret", "ssh" };
  for (int i = 0; i < 5; i++)
    if (strcasecmp (s, names[i]) == 0)
      {
        *t = i;
        return 0;
      }
  return -1;
}

static int
mount_option (const struct vctx *v, struct dockerfile_mount *m, const char *field, const char *raw)
{
  const char *eq = strchr (field, '=');
  cleanup_free char *key = strndup (field, eq ? (size_t) (eq - field) : strlen (field));
  const char *val = eq ? eq + 1 : NULL;
  char **slot = NULL;
  bool b;

  if (key == NULL)
    return estiba_error_errno (v->err, "strdup");
  for (char *p = key; *p; p++)
    *p = tolower ((unsigned char) *p);
  if (strcmp (key, "type") == 0)
    return 0;
  if (!strcmp (key, "target") || !strcmp (key, "dst") || !strcmp (key, "destination"))
    slot = &m->target;
  else if (!strcmp (key, "source") || !strcmp (key, "src"))
    slot = &m->source;
  else if (!strcmp (key, "from"))
    slot = &m->from;
  else if (!strcmp (key, "id"))
    slot = &m->id;
  else if (!strcmp (key, "env") && m->type == DOCKERFILE_MOUNT_SECRET)
    slot = &m->env;
  if (slot)
    {
      if (val == NULL)
        return verr (v, "RUN --mount: option \"%s\" needs a value in \"%s\"", key, raw);
      free (*slot);
      *slot = strdup (val);
      return *slot ? 0 : estiba_error_errno (v->err, "strdup");
    }
  if (!strcmp (key, "readonly") || !strcmp (key, "ro") || !strcmp (key, "rw") || !strcmp (key, "readwrite")
      || !strcmp (key, "required"))
    {
      if (val && (!strcasecmp (val, "true") || !strcmp (val, "1")))
        b = true;
      else if (val && (!strcasecmp (val, "false") || !strcmp (val, "0")))
        b = false;
      else if (val == NULL)
        b = true;
      else
        return verr (v, "RUN --mount: invalid value for %s: \"%s\"", key, val);
      if (key[0] == 'r' && key[1] == 'e' && key[2] == 'q')
        m->required = b;
      else
        m->readonly = (key[0] == 'r' && key[1] == 'w') || !strcmp (key, "readwrite") ? !b : b;
      return 0;
    }
  if (val == NULL)
    return verr (v, "RUN --mount: unexpected key '%s' in '%s'", key, raw);
  if (!strcmp (key, "sharing") && m->type == DOCKERFILE_MOUNT_CACHE)
    {
      if (!strcasecmp (val, "shared"))
        m->sharing = DOCKERFILE_SHARING_SHARED;
      else if (!strcasecmp (val, "private"))
        m->sharing = DOCKERFILE_SHARING_PRIVATE;
      else if (!strcasecmp (val, "locked"))
        m->sharing = DOCKERFILE_SHARING_LOCKED;
      else
        return verr (v, "RUN --mount: unsupported sharing value \"%s\"", val);
      return 0;
    }
  if (!strcmp (key, "mode") && m->type != DOCKERFILE_MOUNT_BIND && m->type != DOCKERFILE_MOUNT_TMPFS)
    {
      char *end;
      errno = 0;
      m->mode = strtol (val, &end, 8);
      if (*val == '\0' || *end || errno || m->mode < 0 || m->mode > 07777)
        return verr (v, "RUN --mount: invalid mode \"%s\"", val);
      return 0;
    }
  if ((!strcmp (key, "uid") || !strcmp (key, "gid")) && m->type != DOCKERFILE_MOUNT_BIND
      && m->type != DOCKERFILE_MOUNT_TMPFS)
    {
      if (parse_id_number (val, key[0] == 'u' ? &m->uid : &m->gid) < 0)
        return verr (v, "RUN --mount: invalid %s \"%s\"", key, val);
      return 0;
    }
  if (!strcmp (key, "size") && m->type == DOCKERFILE_MOUNT_TMPFS)
    {
      if (parse_size (val, &m->size) < 0)
        return verr (v, "RUN --mount: invalid size \"%s\"", val);
      return 0;
    }
  return verr (v, "RUN --mount: unexpected key '%s' in '%s'", key, raw);
}

static int
mount_finish (const struct vctx *v, struct dockerfile_mount *m, const char *raw)
{
  if (m->type == DOCKERFILE_MOUNT_SECRET && m->id == NULL && m->target)
    {
      const char *base = strrchr (m->target, '/');
      m->id = strdup (base ? base + 1 : m->target);
      if (m->id == NULL)
        return estiba_error_errno (v->err, "strdup");
    }
  if (m->type == DOCKERFILE_MOUNT_SECRET && (m->id == NULL || m->id[0] == '\0'))
    return verr (v, "RUN --mount: secret mount requires an id or a target in '%s'", raw);
  if (m->type == DOCKERFILE_MOUNT_SECRET && m->target == NULL && m->env == NULL
      && asprintf (&m->target, "/run/secrets/%s", m->id) < 0)
    return estiba_error_errno (v->err, "asprintf");
  if (m->type != DOCKERFILE_MOUNT_SECRET && m->type != DOCKERFILE_MOUNT_SSH
      && (m->target == NULL || !m->target[0]))
    return verr (v, "RUN --mount: mount requires a target in '%s'", raw);
  if (m->type == DOCKERFILE_MOUNT_SSH && m->id == NULL && (m->id = strdup ("default")) == NULL)
    return estiba_error_errno (v->err, "strdup");
  if (m->mode < 0)
    m->mode = m->type == DOCKERFILE_MOUNT_CACHE ? 0755 : m->type == DOCKERFILE_MOUNT_SECRET ? 0400 : 0600;
  return 0;
}

static int
parse_mount (const struct vctx *v, const char *raw, struct dockerfile_mount *m)
{
  struct dockerfile_strv fields = { 0 };
  size_t i;
  int ret;

  memset (m, 0, sizeof (*m));
  m->mode = -1;
  m->uid = m->gid = -1;
  ret = csv_fields (raw, &fields);
  if (ret < 0)
    {
      dockerfile_strv_clear (&fields);
      return ret == -1 ? estiba_error_errno (v->err, "csv")
                       : verr (v, "RUN --mount: invalid value \"%s\"", raw);
    }
  for (i = 0; i < fields.n; i++)
    if (strncasecmp (fields.v[i], "type=", 5) == 0 && mount_type (fields.v[i] + 5, &m->type) < 0)
      {
        ret = verr (v, "RUN --mount: unsupported mount type \"%s\"", fields.v[i] + 5);
        break;
      }
  m->readonly = m->type == DOCKERFILE_MOUNT_BIND;
  for (i = 0; i < fields.n && ret == 0; i++)
    ret = mount_option (v, m, fields.v[i], raw);
  dockerfile_strv_clear (&fields);
  if (ret < 0)
    return ret;
  return mount_finish (v, m, raw);
}

static void
free_mounts (struct dockerfile_run *r)
{
  for (size_t i = 0; i < r->n_mounts; i++)
    {
      free (r->mounts[i].target);
      free (r->mounts[i].source);
      free (r->mounts[i].from);
      free (r->mounts[i].id);
      free (r->mounts[i].env);
    }
  free (r->mounts);
  r->mounts = NULL;
  r->n_mounts = 0;
}

static int
check_run (const struct vctx *v, struct dockerfile_instruction *inst)
{
  struct dockerfile_run *r = &inst->run;
  size_t i;

  for (i = 0; i < inst->n_flags; i++)
    {
      const char *name = inst->flags[i].name, *val = inst->flags[i].value;
      if (strcmp (name, "network") == 0 && final (inst, val))
        {
          if (strcmp (val, "default") == 0)
            r->network = DOCKERFILE_NETWORK_DEFAULT;
          else if (strcmp (val, "none") == 0)
            r->network = DOCKERFILE_NETWORK_NONE;
          else if (strcmp (val, "host") == 0)
            r->network = DOCKERFILE_NETWORK_HOST;
          else
            return verr (v, "RUN --network: unsupported network mode \"%s\"", val);
        }
      if (strcmp (name, "security") == 0 && final (inst, val))
        {
          if (strcmp (val, "insecure") != 0 && strcmp (val, "sandbox") != 0)
            return verr (v, "RUN --security: unsupported security mode \"%s\"", val);
          r->insecure = strcmp (val, "insecure") == 0;
        }
    }
  free_mounts (r);
  for (i = 0; i < r->mounts_raw.n; i++)
    if (!final (inst, r->mounts_raw.v[i]))
      return 0;
  r->mounts = calloc (r->mounts_raw.n + 1, sizeof (*r->mounts));
  if (r->mounts == NULL)
    return estiba_error_errno (v->err, "calloc");
  for (i = 0; i < r->mounts_raw.n; i++)
    {
      int ret = parse_mount (v, r->mounts_raw.v[i], &r->mounts[i]);
      r->n_mounts++;
      if (ret < 0)
        return ret;
    }
  return 0;
}

int
dockerfile_validate_expanded (struct dockerfile_instruction *inst, const char *filename, estiba_error_t *err)
{
  struct vctx v = { inst, filename, err };
  size_t i;

  switch (inst->kind)
    {
      case DOCKERFILE_ADD:
      case DOCKERFILE_COPY:
        return check_copy (&v, inst);
      case DOCKERFILE_EXPOSE:
        return check_ports (&v, inst);
      case DOCKERFILE_RUN:
        return check_run (&v, inst);
      case DOCKERFILE_USER:
        return check_user (&v, inst);
      case DOCKERFILE_STOPSIGNAL:
        if (final (inst, inst->value) && !valid_signal (inst->value))
          return verr (&v, "STOPSIGNAL: invalid signal \"%s\"", inst->value);
        return 0;
      case DOCKERFILE_VOLUME:
        for (i = 0; inst->expanded && i < inst->args.n; i++)
          if (inst->args.v[i][0] == '\0')
            return verr (&v, "VOLUME specified can not be an empty string");
        return 0;
      default:
        return 0;
    }
}
