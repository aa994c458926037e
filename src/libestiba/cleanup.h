/* __attribute__((cleanup)) helpers: a variable declared with one of these
 * is released when it goes out of scope.  To hand ownership on, set the
 * variable to NULL / -1 after taking it (see steal_pointer / steal_fd).  */
#ifndef ESTIBA_CLEANUP_H
#define ESTIBA_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
cleanup_free_fn (void *p)
{
  free (*(void **) p);
}

static inline void
cleanup_close_fn (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

static inline void
cleanup_fclose_fn (FILE **f)
{
  if (*f)
    fclose (*f);
}

static inline void
cleanup_closedir_fn (DIR **d)
{
  if (*d)
    closedir (*d);
}

/* A NULL-terminated array of strings.  */
static inline void
cleanup_strv_fn (char ***v)
{
  char **p;
  if (*v == NULL)
    return;
  for (p = *v; *p; p++)
    free (*p);
  free (*v);
}

#define cleanup_free     __attribute__ ((cleanup (cleanup_free_fn)))
#define cleanup_close    __attribute__ ((cleanup (cleanup_close_fn)))
#define cleanup_fclose   __attribute__ ((cleanup (cleanup_fclose_fn)))
#define cleanup_closedir __attribute__ ((cleanup (cleanup_closedir_fn)))
#define cleanup_strv     __attribute__ ((cleanup (cleanup_strv_fn)))

static inline void *
steal_pointer_impl (void *pp)
{
  void **p = pp;
  void *v = *p;
  *p = NULL;
  return v;
}
#define steal_pointer(pp) steal_pointer_impl (pp)

static inline int
steal_fd (int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}

#endif
