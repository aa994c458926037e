/* libestiba: the runtime as a library.  The estiba command line is a thin
 * layer over these calls, and muelle calls them directly to run build
 * steps and containers.
 *
 * Every call returns >= 0 on success and a negative value with *err set on
 * failure (see error.h).  */
#ifndef ESTIBA_H
#define ESTIBA_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "error.h"
#include "log.h"

#define ESTIBA_DEFAULT_STATE_ROOT "/run/estiba"

/* Global settings: runc's global flags.  */
struct estiba_context
{
  const char *state_root; /* --root; NULL = ESTIBA_DEFAULT_STATE_ROOT (rootless: $XDG_RUNTIME_DIR/estiba) */
  bool systemd_cgroup;    /* --systemd-cgroup */
  int rootless;           /* --rootless: -1 auto (default), 0 false, 1 true */
  bool debug;             /* --debug */
  struct estiba_log *log; /* where warnings go */
  const char *argv0;      /* how we were invoked */
  /* create/run/exec re-execute the program from a sealed copy of itself
   * (CVE-2019-5736, see cloned_binary.h) unless it already runs from one;
   * the re-exec restarts the program with the same arguments.  A program
   * that must not restart (muelle) calls cloned_binary_ensure() at the top
   * of its main, or sets this.  */
  bool no_cloned_binary;
};

/* Options of create and run (runc's flags).  */
struct estiba_create_options
{
  const char *id;
  const char *bundle;         /* --bundle/-b; NULL = current directory */
  const char *config_path;    /* NULL = <bundle>/config.json */
  const char *pid_file;       /* --pid-file */
  const char *console_socket; /* --console-socket */
  bool no_pivot;              /* --no-pivot */
  bool no_new_keyring;        /* --no-new-keyring */
  int preserve_fds;           /* --preserve-fds N: fds 3..3+N-1 passed through */
  bool detach;                /* run --detach/-d */
  bool keep;                  /* run --keep: do not delete a stopped container */
  bool no_subreaper;          /* run --no-subreaper */
};

/* Options of exec.  Fields left NULL/0 take the container's values.  */
struct estiba_exec_options
{
  const char *id;
  const char *process_path; /* --process FILE (a runtime-spec process JSON) */
  char **args;              /* NULL-terminated, when no --process */
  char **env;               /* -e K=V, NULL-terminated, added to the container's */
  const char *cwd;          /* --cwd */
  const char *user;         /* -u uid[:gid] */
  char **additional_gids;   /* --additional-gids, NULL-terminated */
  char **caps;              /* --cap, NULL-terminated, added */
  bool tty;                 /* -t */
  bool detach;              /* -d */
  bool no_new_privs;        /* --no-new-privs */
  const char *pid_file;
  const char *console_socket;
  const char *process_label; /* --process-label */
  const char *apparmor;      /* --apparmor */
  const char *cgroup;        /* --cgroup [controller:]path */
  int preserve_fds;
};

/* Container lifecycle.  create/start/run/delete follow runtime-spec
 * runtime.md; run returns the container's exit status (>= 0), or 128+N
 * when it was killed by signal N, as runc does.  */
int estiba_container_create (struct estiba_context *ctx, const struct estiba_create_options *opts,
                             estiba_error_t *err);
int estiba_container_start (struct estiba_context *ctx, const char *id, estiba_error_t *err);
int estiba_container_run (struct estiba_context *ctx, const struct estiba_create_options *opts,
                          estiba_error_t *err);
int estiba_container_delete (struct estiba_context *ctx, const char *id, bool force, estiba_error_t *err);
/* signal: a number or a name with or without SIG ("TERM", "SIGKILL", "9").  */
int estiba_container_kill (struct estiba_context *ctx, const char *id, const char *signal, bool all,
                           estiba_error_t *err);
/* Write the state JSON (runtime-spec state plus runc's "created" and
 * "owner") to out.  */
int estiba_container_state (struct estiba_context *ctx, const char *id, FILE *out, estiba_error_t *err);
/* format: "table" or "json"; quiet prints ids only.  */
int estiba_container_list (struct estiba_context *ctx, const char *format, bool quiet, FILE *out,
                           estiba_error_t *err);
/* Returns the process exit status in the foreground, 0 when detached.  */
int estiba_container_exec (struct estiba_context *ctx, const struct estiba_exec_options *opts,
                           estiba_error_t *err);

/* cgroup operations (runc's pause, resume, ps, update, events).  pause
 * and resume return once the cgroup is frozen/thawed.  ps gives the pids
 * in the container's cgroup (malloc'd).  update writes res (see
 * estiba_resources_parse) to the container's cgroups.  events writes runc's
 * event JSON lines to out: with stats_only one "stats" event, else a
 * "stats" event every interval_ms and an "oom" event for each OOM kill,
 * until the container stops.  */
struct oci_linux_resources;
int estiba_container_pause (struct estiba_context *ctx, const char *id, estiba_error_t *err);
int estiba_container_resume (struct estiba_context *ctx, const char *id, estiba_error_t *err);
int estiba_container_ps (struct estiba_context *ctx, const char *id, pid_t **pids, size_t *n,
                         estiba_error_t *err);
int estiba_container_update (struct estiba_context *ctx, const char *id,
                             const struct oci_linux_resources *res, estiba_error_t *err);
int estiba_container_events (struct estiba_context *ctx, const char *id, bool stats_only, long interval_ms,
                             FILE *out, estiba_error_t *err);
/* A runtime-spec linux.resources object read from path ("-": stdin),
 * returned as the linux.resources of an otherwise empty config (free with
 * oci_config_free), or NULL with *err set.  */
struct oci_config;
struct oci_config *estiba_resources_parse (const char *path, estiba_error_t *err);

/* Signal name or number to number; -1 when unknown.  */
int estiba_parse_signal (const char *s);

#endif
