// clang-format off

// fuzz-sources: src/muelle/dockerfile_lexer.c src/muelle/dockerfile_json.c src/muelle/dockerfile_parse.c src/muelle/dockerfile_values.c src/muelle/dockerfile_vars.c src/muelle/dockerignore.c src/libestiba/error.c
// fuzz-includes: src/muelle src/libestiba

// clang-format on
/* libFuzzer target for muelle's Dockerfile parser: any bytes are parsed
 * as a Dockerfile (with build args and a target platform), every stage is
 * then expanded step by step as the executor does; the same bytes are
 * also read as a .dockerignore and as one word to substitute.  Nothing may
 * crash, leak or hit undefined behaviour, and an error is one line.  */
#include <config.h>
#include "dockerfile.h"
#include "dockerignore.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_error (estiba_error_t *err)
{
  if (*err && (*err)->msg && strchr ((*err)->msg, '\n'))
    abort ();
  estiba_error_release (err);
}

static const char *
lookup (void *opaque, const char *name)
{
  (void) opaque;
  return strcmp (name, "A") == 0 ? "a b" : strcmp (name, "E") == 0 ? "" : NULL;
}

static void
expand_stages (struct dockerfile *df)
{
  static char *const image_env[] = { "PATH=/usr/bin", "HOME=/root", NULL };
  size_t i, j;

  for (i = 0; i < df->n_stages; i++)
    {
      struct dockerfile_scope *scope = dockerfile_scope_new (df, i, image_env);
      if (scope == NULL)
        abort ();
      for (j = 0; j < df->stages[i].n_instructions; j++)
        {
          estiba_error_t err = NULL;
          struct dockerfile_instruction *in = &df->stages[i].instructions[j];
          if (dockerfile_expand_instruction (in, scope, df->filename, &err) < 0)
            {
              check_error (&err);
              break;
            }
          if (in->kind == DOCKERFILE_RUN)
            {
              char **env = dockerfile_scope_run_env (scope);
              free (dockerfile_run_script (in));
              for (char **e = env; e && *e; e++)
                free (*e);
              free (env);
            }
        }
      dockerfile_scope_free (scope);
    }
  dockerfile_find_stage (df, "build");
  dockerfile_find_stage (df, "1");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char *const build_args[] = { "A=1", "HTTP_PROXY=http://p", "TAG=x y", NULL };
  struct dockerfile_build_args args = { build_args, "linux/arm/v7", "linux/amd64" };
  estiba_error_t err = NULL;
  struct dockerfile *df = dockerfile_parse ((const char *) data, size, "Dockerfile", &args, &err);
  struct dockerignore *ign;
  char *word, *out = NULL;

  if (df)
    expand_stages (df);
  check_error (&err);
  dockerfile_free (df);

  ign = dockerignore_parse ((const char *) data, size, ".dockerignore", &err);
  if (ign)
    {
      dockerignore_match (ign, "a/b/c.txt");
      dockerignore_match (ign, "Dockerfile");
      dockerignore_keep (ign, "Dockerfile", &err);
    }
  check_error (&err);
  dockerignore_free (ign);

  word = strndup ((const char *) data, size);
  if (word && dockerfile_expand_word (word, '\\', lookup, NULL, &out, &err) == 0)
    free (out);
  check_error (&err);
  free (word);
  return 0;
}
