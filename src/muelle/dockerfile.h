/* muelle's Dockerfile parser: text -> stages of typed instructions.
 *
 * Parsing follows BuildKit's frontend (parser directives, escape char,
 * continuations, heredocs, JSON vs shell form, per-instruction flags).
 * Values are kept RAW (quotes and $variables as written): Docker expands
 * them step by step while building, because ENV from the base image and
 * from earlier steps matter.  The executor therefore calls
 * dockerfile_expand_instruction() on each instruction, in order, with a
 * dockerfile_scope that tracks ENV and ARG for the stage; that call
 * removes quotes, substitutes variables where Docker does, validates the
 * result and records the ARG/ENV effects in the scope.  FROM lines are
 * expanded at parse time (they only see global ARGs and build args).
 *
 * Errors read "FILENAME:LINE: message".  */
#ifndef MUELLE_DOCKERFILE_H
#define MUELLE_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"

enum dockerfile_kind
{
  DOCKERFILE_FROM,
  DOCKERFILE_RUN,
  DOCKERFILE_CMD,
  DOCKERFILE_LABEL,
  DOCKERFILE_EXPOSE,
  DOCKERFILE_ENV,
  DOCKERFILE_ADD,
  DOCKERFILE_COPY,
  DOCKERFILE_ENTRYPOINT,
  DOCKERFILE_VOLUME,
  DOCKERFILE_USER,
  DOCKERFILE_WORKDIR,
  DOCKERFILE_ARG,
  DOCKERFILE_ONBUILD,
  DOCKERFILE_STOPSIGNAL,
  DOCKERFILE_HEALTHCHECK,
  DOCKERFILE_SHELL,
  DOCKERFILE_MAINTAINER,
};

/* Upper-case name of an instruction kind ("RUN").  */
const char *dockerfile_kind_name (enum dockerfile_kind kind);

/* A NULL-terminated array of strings plus its length.  */
struct dockerfile_strv
{
  char **v;
  size_t n;
};

/* One `--name[=value]` flag as written (value raw).  */
struct dockerfile_flag
{
  char *name;
  char *value; /* NULL when written without '=' */
};

struct dockerfile_heredoc
{
  char *name;    /* delimiter, quotes removed */
  char *content; /* lines up to the delimiter, each ending in '\n' (tabs stripped for <<-) */
  bool expand;   /* false when the delimiter was quoted: no substitution */
  bool chomp;    /* <<- */
  int fd;        /* the digits before <<, 0 when none */
};

/* key=value pair (ENV, LABEL, ARG).  */
struct dockerfile_kv
{
  char *key;
  char *value; /* NULL: ARG without default */
};

enum dockerfile_mount_type
{
  DOCKERFILE_MOUNT_BIND,
  DOCKERFILE_MOUNT_CACHE,
  DOCKERFILE_MOUNT_TMPFS,
  DOCKERFILE_MOUNT_SECRET,
  DOCKERFILE_MOUNT_SSH,
};

enum dockerfile_cache_sharing
{
  DOCKERFILE_SHARING_SHARED,
  DOCKERFILE_SHARING_PRIVATE,
  DOCKERFILE_SHARING_LOCKED,
};

/* RUN --mount, filled by dockerfile_expand_instruction (values can hold
 * variables).  Defaults as BuildKit: bind and cache mounts from the build
 * context, bind read-only, cache read-write mode 0755, secret 0400, ssh
 * 0600, uid/gid 0.  */
struct dockerfile_mount
{
  enum dockerfile_mount_type type;
  char *target;
  char *source;
  char *from;
  char *id;
  char *env; /* secret: also expose as this environment variable */
  bool readonly;
  bool required;
  enum dockerfile_cache_sharing sharing;
  long mode;     /* -1: type default */
  long uid, gid; /* -1: 0 */
  int64_t size;  /* tmpfs bytes, 0: unlimited */
};

enum dockerfile_network
{
  DOCKERFILE_NETWORK_DEFAULT,
  DOCKERFILE_NETWORK_NONE,
  DOCKERFILE_NETWORK_HOST,
};

struct dockerfile_instruction;

struct dockerfile_from
{
  char *image;     /* expanded; "scratch" for the empty base */
  char *image_raw; /* as written */
  char *name;      /* stage name (lower case) or NULL */
  char *platform;  /* expanded --platform or NULL */
  long base_stage; /* index of an earlier stage used as base, or -1 */
};

struct dockerfile_run
{
  struct dockerfile_strv mounts_raw; /* --mount values as written */
  struct dockerfile_mount *mounts;   /* after expansion */
  size_t n_mounts;
  enum dockerfile_network network;
  bool insecure; /* --security=insecure */
};

/* COPY and ADD.  */
struct dockerfile_copy
{
  struct dockerfile_strv sources; /* heredoc sources appear as their "<<EOF" word */
  char *dest;
  char *from;        /* COPY --from (NULL: build context) */
  long from_stage;   /* index of the earlier stage --from names, or -1 */
  char *chown;       /* user[:group] */
  char *chmod;       /* octal or symbolic */
  long chmod_octal;  /* -1 when symbolic/unset */
  char *checksum;    /* ADD --checksum */
  bool keep_git_dir; /* ADD --keep-git-dir */
  bool link;         /* --link */
  bool parents;      /* COPY --parents */
  struct dockerfile_strv excludes;
};

struct dockerfile_port
{
  unsigned start, end; /* end == start for a single port */
  char *proto;         /* "tcp", "udp" or "sctp" */
};

struct dockerfile_healthcheck
{
  bool none;
  struct dockerfile_strv test;                             /* {"CMD", args...} or {"CMD-SHELL", cmd} */
  int64_t interval, timeout, start_period, start_interval; /* nanoseconds, 0: inherit */
  long retries;                                            /* 0: inherit */
};

struct dockerfile_instruction
{
  enum dockerfile_kind kind;
  int line;       /* first line */
  int end_line;   /* last line, including heredoc bodies */
  char *original; /* logical line as written (continuations joined) */
  struct dockerfile_flag *flags;
  size_t n_flags;
  /* Positional arguments after the flags, raw.  For RUN/CMD/ENTRYPOINT/
     SHELL in shell form one element: the command line.  */
  struct dockerfile_strv args;
  bool json; /* exec (JSON) form */
  struct dockerfile_heredoc *heredocs;
  size_t n_heredocs;
  bool expanded; /* dockerfile_expand_instruction done */

  /* Per-kind typed data; which one is valid depends on kind.  */
  struct dockerfile_from from;
  struct dockerfile_run run;
  struct dockerfile_copy copy; /* COPY, ADD */
  struct dockerfile_kv *kvs;   /* ENV, LABEL, ARG */
  size_t n_kvs;
  struct dockerfile_port *ports; /* EXPOSE */
  size_t n_ports;
  char *value;        /* USER WORKDIR STOPSIGNAL MAINTAINER */
  char *user, *group; /* USER split, group NULL */
  struct dockerfile_healthcheck healthcheck;
  struct dockerfile_instruction *trigger; /* ONBUILD: the parsed trigger */
  char *trigger_text;                     /* ONBUILD: trigger as written */
};

struct dockerfile_stage
{
  char *name; /* lower case, or NULL */
  size_t index;
  struct dockerfile_instruction *from; /* == &instructions[0] */
  struct dockerfile_instruction *instructions;
  size_t n_instructions;
};

struct dockerfile_directive
{
  char *name; /* lower case: syntax, escape, check */
  char *value;
  int line;
};

struct dockerfile
{
  char *filename;
  char escape; /* '\\' or '`' */
  struct dockerfile_directive *directives;
  size_t n_directives;
  struct dockerfile_instruction *global_args; /* ARGs before the first FROM */
  size_t n_global_args;
  struct dockerfile_stage *stages;
  size_t n_stages;
  char **meta_env;      /* "K=V" values of the global ARGs after build args, for FROM */
  char **build_args;    /* copy of the build args, "K=V" */
  char **platform_args; /* automatic TARGET and BUILD platform ARGs, "K=V" */
};

struct dockerfile_build_args
{
  char *const *args;           /* "NAME=VALUE", NULL-terminated, or NULL */
  const char *target_platform; /* "os/arch[/variant]"; NULL: build platform */
  const char *build_platform;  /* NULL: this host (linux/<arch>) */
};

/* Parse a whole Dockerfile.  filename is only used in error messages.  */
struct dockerfile *dockerfile_parse (const char *data, size_t len, const char *filename,
                                     const struct dockerfile_build_args *args, estiba_error_t *err);
void dockerfile_free (struct dockerfile *df);

/* Stage by name (case-insensitive) or decimal index; NULL if none (for
   `muelle build --target`).  */
const struct dockerfile_stage *dockerfile_find_stage (const struct dockerfile *df, const char *name_or_index);

/* Parse one instruction's text (an ONBUILD trigger of a base image); the
   result has no stage context.  Free with dockerfile_instruction_free.  */
struct dockerfile_instruction *dockerfile_parse_instruction (const char *text, const char *filename, int line,
                                                             char escape, estiba_error_t *err);
void dockerfile_instruction_free (struct dockerfile_instruction *inst);

/* The heredoc a COPY/ADD source word ("<<EOF") stands for, or NULL for a
   path of the build context.  */
const struct dockerfile_heredoc *dockerfile_source_heredoc (const struct dockerfile_instruction *inst,
                                                            const char *source);

/* ---- Variable substitution (dockerfile_vars.c) ---- */

/* Look a variable up; return NULL when unset.  */
typedef const char *(*dockerfile_lookup_fn) (void *opaque, const char *name);

/* Docker's word processing: remove quotes and escapes, substitute $v,
   ${v}, ${v:-w} ${v-w} ${v:+w} ${v+w} ${v:?w} ${v?w} ${v#p} ${v##p}
   ${v%p} ${v%%p} ${v/p/r} ${v//p/r}.  *out is malloc'ed.  */
int dockerfile_expand_word (const char *word, char escape, dockerfile_lookup_fn lookup, void *opaque,
                            char **out, estiba_error_t *err);

/* The variables a build stage sees, updated step by step.  */
struct dockerfile_scope;

/* A scope for stage number `stage` of df; image_env is the base image's
   Env ("K=V", NULL-terminated, may be NULL).  NULL when out of memory.  */
struct dockerfile_scope *dockerfile_scope_new (const struct dockerfile *df, size_t stage,
                                               char *const *image_env);
void dockerfile_scope_free (struct dockerfile_scope *scope);
/* A stage based on an earlier stage (from.base_stage >= 0) inherits the
   ARGs declared there, as BuildKit does: call this with the final scope
   of that stage before expanding the child's instructions.  */
int dockerfile_scope_inherit_args (struct dockerfile_scope *scope, const struct dockerfile_scope *parent);
/* Current value used for substitution (ENV wins over ARG), or NULL.  */
const char *dockerfile_scope_get (const struct dockerfile_scope *scope, const char *name);
/* ENV of the image being built ("K=V", NULL-terminated; caller frees).  */
char **dockerfile_scope_env (const struct dockerfile_scope *scope);
/* Environment for RUN: ENV plus declared ARGs plus proxy build args.  */
char **dockerfile_scope_run_env (const struct dockerfile_scope *scope);

/* Expand inst in place (once) against scope, validate the result, then
   record its ARG/ENV effects in scope.  RUN/CMD/ENTRYPOINT/SHELL/ONBUILD
   are not expanded (the shell does it), but RUN --mount values are.  */
int dockerfile_expand_instruction (struct dockerfile_instruction *inst, struct dockerfile_scope *scope,
                                   const char *filename, estiba_error_t *err);

/* The shell script a RUN with heredocs runs: the heredoc body when the
   command is only "<<EOF", else the command line followed by each
   heredoc body and delimiter, as a shell reads it.  Caller frees.  */
char *dockerfile_run_script (const struct dockerfile_instruction *inst);

/* ---- internal, shared between the dockerfile_*.c files ---- */
struct dockerfile_line
{
  char *text; /* logical line, continuations joined, escape chars removed */
  int line, end_line;
  struct dockerfile_heredoc *heredocs;
  size_t n_heredocs;
};

struct dockerfile_lexed
{
  char escape;
  struct dockerfile_directive *directives;
  size_t n_directives;
  struct dockerfile_line *lines;
  size_t n_lines;
};

int dockerfile_lex (const char *data, size_t len, const char *filename, struct dockerfile_lexed *out,
                    estiba_error_t *err);
void dockerfile_lexed_free (struct dockerfile_lexed *lx);
/* Find the heredoc words (<<EOF, <<-"EOF", 2<<EOF) in a logical line.  */
int dockerfile_find_heredocs (const char *line, char escape, struct dockerfile_heredoc **out, size_t *n);
void dockerfile_heredoc_clear (struct dockerfile_heredoc *h);
/* realloc an array holding `used` elements so it holds `need`; the
   capacity doubles, so appending one by one stays linear.  Every
   allocation of such an array must go through it.  */
void *dockerfile_grow (void *p, size_t used, size_t need, size_t size);
enum dockerfile_json_result
{
  DOCKERFILE_JSON_OK,
  DOCKERFILE_JSON_NOT_JSON,
  DOCKERFILE_JSON_NOT_STRINGS,
  DOCKERFILE_JSON_NOMEM
};
/* A JSON array of strings into out (dockerfile_json.c).  */
enum dockerfile_json_result dockerfile_parse_json_array (const char *s, struct dockerfile_strv *out);
int dockerfile_strv_push (struct dockerfile_strv *v, const char *s);
void dockerfile_strv_clear (struct dockerfile_strv *v);
void dockerfile_instruction_clear (struct dockerfile_instruction *inst);
/* Docker's parseWords: split on blanks, keep quotes and escapes.  */
int dockerfile_split_words (const char *s, char escape, struct dockerfile_strv *out);
/* Keep an error on one line: control chars in quoted user text become '?'.  */
int dockerfile_one_line_error (estiba_error_t *err, int ret);
int dockerfile_validate_expanded (struct dockerfile_instruction *inst, const char *filename,
                                  estiba_error_t *err);

#endif
