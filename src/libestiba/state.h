/* The container state store.
 *
 * Every container has one directory <root>/<id> (mode 0700) holding:
 *   state.json   what `state`, `list` and the lifecycle commands need, written
 *                atomically (temp file + rename) so readers never see half;
 *   config.json  the bundle's config as parsed at create: later edits of the
 *                bundle do not affect start/exec/delete;
 *   start.sock   while the container is "created": the init listens on it
 *                and `start` connects to release it (see container.c).
 * Concurrent commands on one container serialise with flock() on the
 * directory itself.  Whether the init still lives is decided from its pid
 * AND its start time (field 22 of /proc/PID/stat), so a reused pid never
 * makes a stopped container look alive.  */
#ifndef ESTIBA_STATE_H
#define ESTIBA_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "error.h"

#define STATE_FILE        "state.json"
#define STATE_CONFIG_FILE "config.json"
#define STATE_START_SOCK  "start.sock"

enum container_status
{
  CONTAINER_CREATING,
  CONTAINER_CREATED,
  CONTAINER_RUNNING,
  CONTAINER_STOPPED,
  CONTAINER_PAUSED, /* running or created, its cgroup frozen (pause) */
};

struct container_state
{
  char *id;
  char *bundle;
  char *rootfs;                 /* absolute path of root.path */
  char *created;                /* RFC3339 with nanoseconds, UTC */
  char *owner;                  /* user name (or uid) that created it */
  bool creating;                /* create has not finished yet */
  pid_t pid;                    /* init pid in the runtime's pid namespace, 0 while creating */
  unsigned long long pid_start; /* start time of pid (clock ticks since boot) */
  char **cgroup_paths;          /* absolute cgroup directories created for it, NULL-terminated */
  char **annotations;           /* key, value, key, value, ..., NULL */
};

const char *container_status_name (enum container_status s);

/* runc's rule for ids: ^[\w+\-\.]+$, and not "." or "..".  */
int state_validate_id (const char *id, estiba_error_t *err);

/* <root>, created 0700 if missing.  */
int state_root_ensure (const char *root, estiba_error_t *err);

/* Reserve <root>/<id>: fails naming the id when it already exists.
 * *dir receives the malloc'd path.  */
int state_dir_reserve (const char *root, const char *id, char **dir, estiba_error_t *err);

/* <root>/<id> of an existing container (error "container X does not exist").  */
int state_dir_lookup (const char *root, const char *id, char **dir, estiba_error_t *err);

/* Take the container's lock: an fd (close it to unlock).  */
int state_lock (const char *dir, bool exclusive, int *lock_fd, estiba_error_t *err);

int state_write (const char *dir, const struct container_state *st, estiba_error_t *err);
int state_read (const char *dir, struct container_state *st, estiba_error_t *err);
void state_release (struct container_state *st);

/* Current status from the stored state and the live process table.  */
enum container_status state_status (const char *dir, const struct container_state *st);

/* The runtime-spec state JSON (plus runc's created/owner and rootfs);
 * malloc'd, pretty when asked.  */
int state_to_json (const struct container_state *st, enum container_status status, bool pretty, char **json,
                   estiba_error_t *err);

/* Start time (field 22 of /proc/PID/stat) and whether the process is a
 * zombie.  */
int proc_start_time (pid_t pid, unsigned long long *start, bool *zombie, estiba_error_t *err);

/* Remove the state directory and everything in it.  */
int state_dir_remove (const char *dir, estiba_error_t *err);

/* Write `content` to path atomically (temp file in the same dir + rename).  */
int write_file_atomic (const char *path, const char *content, size_t len, mode_t mode, estiba_error_t *err);

/* RFC3339 timestamp with nanoseconds, UTC.  */
char *rfc3339_now (void);

#endif
