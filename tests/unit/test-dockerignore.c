/* TAP tests for muelle's .dockerignore matcher (src/muelle/dockerignore.c),
 * mostly the examples of Docker's build context documentation.  */
#include <config.h>
#include "dockerignore.h"
#include "cleanup.h"
#include "leaf-tap.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct match_case
{
  const char *patterns;
  const char *path;
  bool excluded;
};

static const struct match_case cases[] = {
  /* The documentation's example file.  */
  { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "somedir/temporary.txt", true },
  { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "somedir/temp", true },
  { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "somedir/temp/inside/file", true },
  { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "somedir/subdir/temporary.txt", true },
  { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "tempa", true },
  { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "tempab", false },
  { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "temporary.txt", false },
  { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "a/b/c/temporary.txt", false },
  { "# comment\n*/temp*\n*/*/temp*\ntemp?\n", "comment", false },
  /* "**" matches any number of directories, including none.  */
  { "**/*.go\n", "main.go", true },
  { "**/*.go\n", "a/b/c/main.go", true },
  { "**/*.go\n", "main.golang", false },
  { "**/foo\n", "foo", true },
  { "**/foo\n", "x/y/foo/bar", true },
  { "foo/**\n", "foo/a/b", true },
  { "foo/**\n", "foo", false },
  { "a/**/b\n", "a/b", true },
  { "a/**/b\n", "a/x/y/b", true },
  { "a/**/b\n", "ab", false },
  { "**\n", "anything/at/all", true },
  /* Exceptions, last match wins.  */
  { "*.md\n!README.md\n", "README.md", false },
  { "*.md\n!README.md\n", "CHANGES.md", true },
  { "*.md\n!README*.md\nREADME-secret.md\n", "README-secret.md", true },
  { "*.md\n!README*.md\nREADME-secret.md\n", "README-public.md", false },
  { "*.md\nREADME-secret.md\n!README*.md\n", "README-secret.md", false },
  { "dir\n!dir/keep\n", "dir/keep", false },
  { "dir\n!dir/keep\n", "dir/other", true },
  { "dir\n!dir/keep\n", "dir/keep/inner", false },
  /* A pattern matching a directory excludes what is below it.  */
  { "node_modules\n", "node_modules/a/b.js", true },
  { "node_modules\n", "src/node_modules", false },
  /* Normalisation: leading "/" and "./", trailing "/" and blanks, "..".  */
  { "/foo\n", "foo", true },
  { "./foo\n", "foo/bar", true },
  { "foo/\n", "foo", true },
  { "  foo  \n", "foo", true },
  { "foo\t \r\n", "foo", true },
  { "a/../b\n", "b", true },
  { "a//b\n", "a/b", true },
  { "! foo\n*\n!foo\n", "foo", false },
  { "foo\n", "./foo", true },
  { "foo\n", "/foo/x", true },
  { " # not a comment\n", "# not a comment", true },
  /* filepath.Match syntax: '*' and '?' stay inside a component.  */
  { "*\n", "a/b", true },
  { "a*\n", "ab/c", true },
  { "a*c\n", "ab/c", false },
  { "a?c\n", "a/c", false },
  { "[a-c].txt\n", "b.txt", true },
  { "[a-c].txt\n", "d.txt", false },
  { "[^a].txt\n", "a.txt", false },
  { "[^a].txt\n", "b.txt", true },
  { "\\*.txt\n", "*.txt", true },
  { "\\*.txt\n", "a.txt", false },
  { "*.txt\n", ".hidden.txt", true },
  { "", "anything", false },
  { "# only a comment\n\n", "anything", false },
};

static void
run_cases (void)
{
  size_t i;
  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_error estiba_error_t err = NULL;
      struct dockerignore *ign =
        dockerignore_parse (cases[i].patterns, strlen (cases[i].patterns), ".dockerignore", &err);
      bool got = ign && dockerignore_match (ign, cases[i].path);
      cleanup_free char *shown = strdup (cases[i].patterns);

      for (char *p = shown; p && *p; p++)
        if (*p == '\n')
          *p = ' ';
      ok (ign && got == cases[i].excluded, "\"%s\" %s \"%s\"", shown,
          cases[i].excluded ? "excludes" : "keeps", cases[i].path);
      dockerignore_free (ign);
    }
}

static void
run_errors_and_api (void)
{
  cleanup_error estiba_error_t err = NULL;
  struct dockerignore *ign = dockerignore_parse ("ok\n[a-\n", 7, "ctx/.dockerignore", &err);
  cleanup_free char *msg = err ? estiba_error_string (err) : NULL;
  char tmpl[] = "/tmp/test-dockerignore.XXXXXX";
  cleanup_free char *path = NULL;
  int fd;

  ok (ign == NULL && msg && strcmp (msg, "ctx/.dockerignore:2: syntax error in pattern \"[a-\"") == 0,
      "malformed class: %s", msg ? msg : "(parsed)");
  estiba_error_release (&err);
  ign = dockerignore_parse ("abc[\n", 5, ".dockerignore", &err);
  ok (ign == NULL && err, "class left open after a literal is an error");
  estiba_error_release (&err);
  ign = dockerignore_parse ("abc\\\n", 5, ".dockerignore", &err);
  ok (ign == NULL && err, "trailing backslash is an error");
  estiba_error_release (&err);

  /* The Dockerfile and .dockerignore are still sent.  */
  ign = dockerignore_parse ("*\n", 2, ".dockerignore", &err);
  ok (ign && dockerignore_match (ign, "Dockerfile") && dockerignore_match (ign, ".dockerignore"),
      "* excludes all");
  ok (dockerignore_keep (ign, "Dockerfile", &err) == 0 && dockerignore_keep (ign, ".dockerignore", &err) == 0
        && dockerignore_keep (ign, "src/other", &err) == 0,
      "keep");
  ok (!dockerignore_match (ign, "Dockerfile") && !dockerignore_match (ign, ".dockerignore")
        && dockerignore_match (ign, "main.c") && dockerignore_has_exceptions (ign),
      "kept files are sent, others are not");
  dockerignore_free (ign);

  ign = dockerignore_parse ("a\nb\n", 4, ".dockerignore", &err);
  ok (ign && dockerignore_keep (ign, "c", &err) == 0 && dockerignore_count (ign) == 2
        && !dockerignore_has_exceptions (ign),
      "keeping an unexcluded file adds nothing");
  dockerignore_free (ign);

  /* Loading from a context directory.  */
  if (!ok (mkdtemp (tmpl) != NULL, "temp dir"))
    return;
  ign = NULL;
  ok (dockerignore_load (tmpl, &ign, &err) == 0 && ign && dockerignore_count (ign) == 0,
      "no .dockerignore: empty");
  dockerignore_free (ign);
  if (asprintf (&path, "%s/.dockerignore", tmpl) < 0)
    abort ();
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0)
    {
      if (write (fd,
                 "\xef\xbb\xbf"
                 "build\n!build/keep\n",
                 21)
          != 21)
        perror ("write");
      close (fd);
    }
  ign = NULL;
  ok (dockerignore_load (tmpl, &ign, &err) == 0 && ign && dockerignore_count (ign) == 2
        && dockerignore_match (ign, "build/x") && !dockerignore_match (ign, "build/keep"),
      "load .dockerignore with a BOM");
  dockerignore_free (ign);
  unlink (path);
  mkdir (path, 0755);
  ign = NULL;
  ok (dockerignore_load (tmpl, &ign, &err) < 0 && ign == NULL, ".dockerignore that is a directory fails");
  estiba_error_release (&err);
  rmdir (path);
  rmdir (tmpl);
}

int
main (void)
{
  run_cases ();
  run_errors_and_api ();
  return tap_done ();
}
