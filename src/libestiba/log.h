/* Runtime log: where warnings and the final error go.
 *
 * Without --log, messages go to stderr as "estiba: msg".  With --log FILE
 * they are appended to FILE; with --log-format json every line is
 * {"level":"error","msg":"...","time":"RFC3339"} as containerd and dockerd
 * expect (they read the last error line back from the file).  The log
 * settings live in a struct the caller owns: no hidden global state apart
 * from the one pointer set by estiba_log_use() for code deep in the
 * library that has no context at hand.  */
#ifndef ESTIBA_LOG_H
#define ESTIBA_LOG_H

#include <stdbool.h>
#include "error.h"

enum estiba_log_level
{
  ESTIBA_LOG_ERROR = 0,
  ESTIBA_LOG_WARNING = 1,
  ESTIBA_LOG_INFO = 2,
  ESTIBA_LOG_DEBUG = 3,
};

struct estiba_log
{
  int fd;    /* -1: stderr */
  bool json; /* --log-format json */
  enum estiba_log_level level;
};

/* Open path (NULL: stderr) in append mode.  format is "text" or "json";
 * level is "debug", "info", "warning"/"warn" or "error".  */
int estiba_log_open (struct estiba_log *log, const char *path, const char *format, const char *level,
                     estiba_error_t *err);
void estiba_log_close (struct estiba_log *log);

/* Make `log` the sink used by estiba_log_msg().  */
void estiba_log_use (struct estiba_log *log);

void estiba_log_msg (enum estiba_log_level level, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
#define estiba_warn(...)  estiba_log_msg (ESTIBA_LOG_WARNING, __VA_ARGS__)
#define estiba_debug(...) estiba_log_msg (ESTIBA_LOG_DEBUG, __VA_ARGS__)

/* Log an error value at error level (used once, at the top).  */
void estiba_log_error (const estiba_error_t err);

#endif
