/* Command-line parsing: see cli.h for the accepted syntax.  */
#include <config.h>
#include "cli.h"
#include "cleanup.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void
cli_list_release (struct cli_list *list)
{
  free (list->items);
  list->items = NULL;
  list->len = 0;
}

/* Go's strconv.ParseBool, which runc's flags use.  */
static int
parse_bool (const char *s, bool *out)
{
  static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True", NULL };
  static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False", NULL };
  size_t i;

  for (i = 0; yes[i]; i++)
    if (strcmp (s, yes[i]) == 0)
      return *out = true, 0;
  for (i = 0; no[i]; i++)
    if (strcmp (s, no[i]) == 0)
      return *out = false, 0;
  return -1;
}

static int
parse_tristate (const char *s, int *out)
{
  bool b;
  if (strcmp (s, "auto") == 0)
    return *out = -1, 0;
  if (parse_bool (s, &b) < 0)
    return -1;
  *out = b ? 1 : 0;
  return 0;
}

static int
parse_count (const char *s, int *out)
{
  char *end;
  long v;

  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtol (s, &end, 10);
  if (errno != 0 || *end != '\0' || v > INT_MAX)
    return -1;
  *out = (int) v;
  return 0;
}

/* "create: " or "" for the global options, to start messages with.  */
static const char *
command_prefix (const struct cli_command *cmd, char *buf, size_t size)
{
  if (cmd->name == NULL || *cmd->name == '\0')
    return "";
  snprintf (buf, size, "%s: ", cmd->name);
  return buf;
}

static int
usage_error (const struct cli_command *cmd, estiba_error_t *err, const char *what, const char *arg)
{
  char prefix[64];
  const char *name = cmd->name ? cmd->name : "";
  return estiba_error (err, 0, "%s%s '%s' (see 'estiba %s%s--help')",
                       command_prefix (cmd, prefix, sizeof prefix), what, arg, name, *name ? " " : "");
}

static const struct cli_option *
find_long (const struct cli_option *options, const char *name, size_t len)
{
  for (; options->name; options++)
    if (strlen (options->name) == len && strncmp (options->name, name, len) == 0)
      return options;
  return NULL;
}

static const struct cli_option *
find_short (const struct cli_option *options, char c)
{
  for (; options->name; options++)
    if (options->short_name != 0 && options->short_name == c)
      return options;
  return NULL;
}

static bool
is_help (const char *name, size_t len)
{
  return (len == 4 && strncmp (name, "help", 4) == 0) || (len == 1 && name[0] == 'h');
}

static int
list_append (struct cli_list *list, char *value)
{
  char **items = realloc (list->items, (list->len + 2) * sizeof (char *));
  if (items == NULL)
    return -1;
  items[list->len++] = value;
  items[list->len] = NULL;
  list->items = items;
  return 0;
}

/* Store `value` (NULL: the option was given without "=value") into the
 * option's variable; *i moves past a value taken from the next argument.  */
static int
apply_option (const struct cli_command *cmd, const struct cli_option *opt, const char *spelled, char *value,
              int argc, char **argv, int *i, estiba_error_t *err)
{
  switch (opt->kind)
    {
      case CLI_BOOL:
        if (value == NULL)
          *(bool *) opt->value = true;
        else if (parse_bool (value, opt->value) < 0)
          return usage_error (cmd, err, "invalid boolean value for", spelled);
        return 0;

      case CLI_TRISTATE:
        if (value != NULL)
          {
            if (parse_tristate (value, opt->value) < 0)
              return usage_error (cmd, err, "expected true, false or auto for", spelled);
            return 0;
          }
        /* runc always takes the next argument; we take it only when it is a
         * valid value, so a bare "--rootless" means true.  */
        if (*i + 1 < argc && parse_tristate (argv[*i + 1], opt->value) == 0)
          (*i)++;
        else
          *(int *) opt->value = 1;
        return 0;

      default:
        break;
    }

  if (value == NULL)
    {
      if (*i + 1 >= argc)
        return usage_error (cmd, err, "missing value for", spelled);
      value = argv[++(*i)];
    }

  switch (opt->kind)
    {
      case CLI_STRING:
        *(const char **) opt->value = value;
        return 0;
      case CLI_INT:
        if (parse_count (value, opt->value) < 0)
          return usage_error (cmd, err, "expected a non-negative number for", spelled);
        return 0;
      case CLI_STRING_LIST:
        if (list_append (opt->value, value) < 0)
          return estiba_error_errno (err, "allocate option list");
        return 0;
      default:
        return estiba_error (err, 0, "internal error: option '%s' has an unknown kind", opt->name);
    }
}

/* "-dt": a cluster of boolean short options, accepted when every letter is
 * one (Go's flag package would reject it; docker users type it).  */
static bool
apply_short_cluster (const struct cli_option *options, const char *letters)
{
  const char *c;

  for (c = letters; *c; c++)
    {
      const struct cli_option *opt = find_short (options, *c);
      if (opt == NULL || opt->kind != CLI_BOOL)
        return false;
    }
  for (c = letters; *c; c++)
    *(bool *) find_short (options, *c)->value = true;
  return true;
}

/* One argument starting with '-'.  Returns 0, CLI_HELP or <0.  */
static int
parse_flag (const struct cli_command *cmd, int argc, char **argv, int *i, estiba_error_t *err)
{
  char *arg = argv[*i];
  char *name = arg + (arg[1] == '-' ? 2 : 1);
  char *eq = strchr (name, '=');
  size_t len = eq ? (size_t) (eq - name) : strlen (name);
  const struct cli_option *opt;
  cleanup_free char *spelled = NULL;

  if (len == 0)
    return usage_error (cmd, err, "invalid option", arg);

  opt = find_long (cmd->options, name, len);
  if (opt == NULL && len == 1)
    opt = find_short (cmd->options, name[0]);
  if (opt == NULL && is_help (name, len))
    return CLI_HELP;
  if (opt == NULL && arg[1] != '-' && eq == NULL && apply_short_cluster (cmd->options, name))
    return 0;
  if (opt == NULL)
    return usage_error (cmd, err, "unknown option", arg);

  spelled = strndup (arg, (size_t) (name - arg) + len);
  if (spelled == NULL)
    return estiba_error_errno (err, "allocate option name");
  return apply_option (cmd, opt, spelled, eq ? eq + 1 : NULL, argc, argv, i, err);
}

int
cli_parse (const struct cli_command *cmd, int argc, char **argv, char ***args, size_t *nargs,
           estiba_error_t *err)
{
  cleanup_free char **positional = calloc ((size_t) argc + 1, sizeof (char *));
  size_t n = 0;
  bool options_done = false;
  int i;

  if (positional == NULL)
    return estiba_error_errno (err, "allocate arguments");

  for (i = 1; i < argc; i++)
    {
      char *arg = argv[i];
      int ret;

      if (!options_done && strcmp (arg, "--") == 0)
        {
          options_done = true;
          continue;
        }
      if (options_done || arg[0] != '-' || arg[1] == '\0')
        {
          positional[n++] = arg;
          if (cmd->stop_at_first_arg)
            options_done = true;
          continue;
        }
      ret = parse_flag (cmd, argc, argv, &i, err);
      if (ret != 0)
        return ret;
    }

  *args = steal_pointer (&positional);
  *nargs = n;
  return 0;
}

static int
check_arg_count (const struct cli_command *cmd, char **args, size_t nargs, estiba_error_t *err)
{
  const char *what = cmd->args && *cmd->args ? cmd->args : "arguments";

  if (nargs < cmd->min_args)
    return estiba_error (err, 0, "%s: missing %s (see 'estiba %s --help')", cmd->name, what, cmd->name);
  if (cmd->max_args != CLI_UNLIMITED && nargs > cmd->max_args)
    return estiba_error (err, 0, "%s: unexpected argument '%s' (see 'estiba %s --help')", cmd->name,
                         args[cmd->max_args], cmd->name);
  return 0;
}

int
cli_parse_command (const struct cli_command *cmd, int argc, char **argv, char ***args, size_t *nargs,
                   estiba_error_t *err)
{
  int ret = cli_parse (cmd, argc, argv, args, nargs, err);

  if (ret == CLI_HELP)
    {
      cli_print_help (cmd, stdout);
      return CLI_HELP;
    }
  if (ret < 0)
    return ret;
  ret = check_arg_count (cmd, *args, *nargs, err);
  if (ret < 0)
    {
      free (*args);
      *args = NULL;
    }
  return ret;
}

/* "-b, --bundle DIR" */
static void
format_option (const struct cli_option *opt, char *buf, size_t size)
{
  const char *value = "";

  if (opt->kind == CLI_STRING || opt->kind == CLI_INT || opt->kind == CLI_STRING_LIST)
    value = opt->arg_name ? opt->arg_name : "VALUE";
  else if (opt->kind == CLI_TRISTATE)
    value = opt->arg_name ? opt->arg_name : "[=true|false|auto]";
  if (opt->short_name)
    snprintf (buf, size, "-%c, --%s%s%s", opt->short_name, opt->name,
              *value && opt->kind != CLI_TRISTATE ? " " : "", value);
  else
    snprintf (buf, size, "    --%s%s%s", opt->name, *value && opt->kind != CLI_TRISTATE ? " " : "", value);
}

/* Print text in a column starting at `indent`, wrapped at words to fit
 * HELP_WIDTH; the first line continues the current one.  */
#define HELP_WIDTH 100

static void
print_wrapped (FILE *out, int indent, const char *text)
{
  int room = HELP_WIDTH - indent;
  bool first = true;

  if (room < 30)
    room = 30;
  while (*text)
    {
      int len = (int) strlen (text);
      if (len > room)
        {
          len = room;
          while (len > 0 && text[len] != ' ')
            len--;
          if (len == 0)
            len = room;
        }
      fprintf (out, "%*s%.*s\n", first ? 0 : indent, "", len, text);
      first = false;
      text += len;
      while (*text == ' ')
        text++;
    }
  if (first)
    fputc ('\n', out);
}

void
cli_print_options (const struct cli_option *options, FILE *out)
{
  const struct cli_option *opt;
  const int max_column = 30;
  char left[128];
  int width = (int) strlen ("-h, --help");

  for (opt = options; opt && opt->name; opt++)
    {
      int w;
      format_option (opt, left, sizeof left);
      w = (int) strlen (left);
      if (w > width && w <= max_column)
        width = w;
    }
  for (opt = options; opt && opt->name; opt++)
    {
      cleanup_free char *help = NULL;

      format_option (opt, left, sizeof left);
      if (asprintf (&help, "%s%s", opt->help, opt->kind == CLI_STRING_LIST ? " (repeatable)" : "") < 0)
        help = NULL;
      if ((int) strlen (left) > width)
        fprintf (out, "  %s\n  %*s  ", left, width, "");
      else
        fprintf (out, "  %-*s  ", width, left);
      print_wrapped (out, width + 4, help ? help : opt->help);
    }
  fprintf (out, "  %-*s  %s\n", width, "-h, --help", "show this help");
}

void
cli_print_help (const struct cli_command *cmd, FILE *out)
{
  bool has_options = cmd->options != NULL && cmd->options->name != NULL;

  fprintf (out, "Usage: estiba %s%s%s%s\n\n", cmd->name, has_options ? " [OPTIONS]" : "",
           cmd->args && *cmd->args ? " " : "", cmd->args ? cmd->args : "");
  fprintf (out, "%s\n", cmd->summary);
  if (cmd->description)
    fprintf (out, "\n%s\n", cmd->description);
  fprintf (out, "\nOptions:\n");
  cli_print_options (cmd->options, out);
}
