/* TAP tests for muelle's Dockerfile parser (src/muelle/dockerfile_*.c):
 * snippets -> expected parse, malformed snippets -> exact error line,
 * Docker's substitution examples, ARG/ENV scoping, heredocs, the escape
 * directive, and the Dockerfiles under tests/unit/data/dockerfile.  */
#include <config.h>
#include "dockerfile.h"
#include "cleanup.h"
#include "leaf-tap.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DOCKERFILE_TEST_DATA
#define DOCKERFILE_TEST_DATA "tests/unit/data/dockerfile"
#endif

/* ---- a compact text form of a parse, to compare against tables ---- */

struct out
{
  char *s;
  size_t len;
  FILE *f;
};

static void
put_str (FILE *f, const char *s)
{
  if (s == NULL)
    {
      fputs ("(null)", f);
      return;
    }
  for (; *s; s++)
    if (*s == '\n')
      fputs ("\\n", f);
    else if (*s == '\t')
      fputs ("\\t", f);
    else
      fputc (*s, f);
}

static void
put_strv (FILE *f, const struct dockerfile_strv *v)
{
  size_t i;
  fputc ('[', f);
  for (i = 0; i < v->n; i++)
    {
      if (i)
        fputc ('|', f);
      put_str (f, v->v[i]);
    }
  fputc (']', f);
}

static const char *const mount_types[] = { "bind", "cache", "tmpfs", "secret", "ssh" };

static void
dump_typed (FILE *f, const struct dockerfile_instruction *in)
{
  size_t i;
  switch (in->kind)
    {
      case DOCKERFILE_FROM:
        fprintf (f, " image=%s", in->from.image);
        if (in->from.name)
          fprintf (f, " name=%s", in->from.name);
        if (in->from.platform)
          fprintf (f, " platform=%s", in->from.platform);
        if (in->from.base_stage >= 0)
          fprintf (f, " base=%ld", in->from.base_stage);
        break;
      case DOCKERFILE_COPY:
      case DOCKERFILE_ADD:
        fputs (" src=", f);
        put_strv (f, &in->copy.sources);
        fprintf (f, " dest=%s", in->copy.dest);
        if (in->copy.from)
          fprintf (f, " from=%s/%ld", in->copy.from, in->copy.from_stage);
        if (in->copy.chown)
          fprintf (f, " chown=%s", in->copy.chown);
        if (in->copy.chmod)
          fprintf (f, in->copy.chmod_octal < 0 ? " chmod=%s/-" : " chmod=%s/%lo", in->copy.chmod,
                   in->copy.chmod_octal);
        if (in->copy.checksum)
          fprintf (f, " checksum=%s", in->copy.checksum);
        if (in->copy.link)
          fputs (" link", f);
        if (in->copy.parents)
          fputs (" parents", f);
        if (in->copy.keep_git_dir)
          fputs (" keep-git-dir", f);
        if (in->copy.excludes.n)
          {
            fputs (" exclude=", f);
            put_strv (f, &in->copy.excludes);
          }
        break;
      case DOCKERFILE_ENV:
      case DOCKERFILE_LABEL:
      case DOCKERFILE_ARG:
        for (i = 0; i < in->n_kvs; i++)
          {
            fputs (i ? "," : " {", f);
            put_str (f, in->kvs[i].key);
            if (in->kvs[i].value)
              {
                fputc ('=', f);
                put_str (f, in->kvs[i].value);
              }
          }
        fputs (in->n_kvs ? "}" : "", f);
        break;
      case DOCKERFILE_EXPOSE:
        for (i = 0; i < in->n_ports; i++)
          {
            fprintf (f, " %u", in->ports[i].start);
            if (in->ports[i].end != in->ports[i].start)
              fprintf (f, "-%u", in->ports[i].end);
            fprintf (f, "/%s", in->ports[i].proto);
          }
        break;
      case DOCKERFILE_USER:
        fprintf (f, " user=%s", in->user ? in->user : "?");
        if (in->group)
          fprintf (f, " group=%s", in->group);
        break;
      case DOCKERFILE_RUN:
        for (i = 0; i < in->run.n_mounts; i++)
          {
            const struct dockerfile_mount *m = &in->run.mounts[i];
            fprintf (f, " mount(%s", mount_types[m->type]);
            if (m->target)
              fprintf (f, " target=%s", m->target);
            if (m->source)
              fprintf (f, " source=%s", m->source);
            if (m->from)
              fprintf (f, " from=%s", m->from);
            if (m->id)
              fprintf (f, " id=%s", m->id);
            if (m->env)
              fprintf (f, " env=%s", m->env);
            if (m->readonly)
              fputs (" ro", f);
            if (m->required)
              fputs (" required", f);
            if (m->type == DOCKERFILE_MOUNT_CACHE)
              fprintf (f, " sharing=%d", (int) m->sharing);
            if (m->type != DOCKERFILE_MOUNT_BIND && m->type != DOCKERFILE_MOUNT_TMPFS)
              fprintf (f, " mode=%lo", m->mode);
            if (m->uid >= 0)
              fprintf (f, " uid=%ld", m->uid);
            if (m->gid >= 0)
              fprintf (f, " gid=%ld", m->gid);
            if (m->size)
              fprintf (f, " size=%lld", (long long) m->size);
            fputc (')', f);
          }
        if (in->run.network != DOCKERFILE_NETWORK_DEFAULT)
          fprintf (f, " network=%s", in->run.network == DOCKERFILE_NETWORK_NONE ? "none" : "host");
        if (in->run.insecure)
          fputs (" insecure", f);
        break;
      case DOCKERFILE_HEALTHCHECK:
        if (in->healthcheck.none)
          fputs (" none", f);
        else
          {
            fputs (" test=", f);
            put_strv (f, &in->healthcheck.test);
            fprintf (f, " interval=%lld timeout=%lld start=%lld/%lld retries=%ld",
                     (long long) in->healthcheck.interval, (long long) in->healthcheck.timeout,
                     (long long) in->healthcheck.start_period, (long long) in->healthcheck.start_interval,
                     in->healthcheck.retries);
          }
        break;
      case DOCKERFILE_ONBUILD:
        fputs (" trigger=", f);
        put_str (f, in->trigger_text);
        fprintf (f, " (%s)", dockerfile_kind_name (in->trigger->kind));
        break;
      case DOCKERFILE_WORKDIR:
      case DOCKERFILE_STOPSIGNAL:
      case DOCKERFILE_MAINTAINER:
        fputs (" value=", f);
        put_str (f, in->value);
        break;
      default:
        break;
    }
}

static void
dump_instruction (FILE *f, const struct dockerfile_instruction *in)
{
  size_t i;
  fprintf (f, "%d", in->line);
  if (in->end_line != in->line)
    fprintf (f, "-%d", in->end_line);
  fprintf (f, " %s", dockerfile_kind_name (in->kind));
  if (in->json)
    fputs (" json", f);
  for (i = 0; i < in->n_flags; i++)
    {
      fprintf (f, " --%s", in->flags[i].name);
      if (in->flags[i].value)
        fprintf (f, "=%s", in->flags[i].value);
    }
  fputc (' ', f);
  put_strv (f, &in->args);
  for (i = 0; i < in->n_heredocs; i++)
    {
      const struct dockerfile_heredoc *h = &in->heredocs[i];
      fprintf (f, " <<%s%s%s{", h->chomp ? "-" : "", h->expand ? "" : "'", h->name);
      put_str (f, h->content);
      fputc ('}', f);
    }
  fputs (" ;", f);
  dump_typed (f, in);
  fputc ('\n', f);
}

static char *
dump (const struct dockerfile *df)
{
  char *s = NULL;
  size_t len = 0, i, j;
  FILE *f = open_memstream (&s, &len);

  for (i = 0; i < df->n_directives; i++)
    fprintf (f, "#%s=%s\n", df->directives[i].name, df->directives[i].value);
  for (i = 0; i < df->n_global_args; i++)
    dump_instruction (f, &df->global_args[i]);
  for (i = 0; i < df->n_stages; i++)
    for (j = 0; j < df->stages[i].n_instructions; j++)
      dump_instruction (f, &df->stages[i].instructions[j]);
  fclose (f);
  return s;
}

/* ---- tables ---- */

struct parse_case
{
  const char *name;
  const char *text;
  const char *expected;
};

static const struct parse_case parse_cases[] = {
  { "minimal", "FROM alpine\nRUN echo hi\n", "1 FROM [alpine] ; image=alpine\n2 RUN [echo hi] ;\n" },
  { "case-insensitive names", "from alpine AS Build\nrun true\n",
    "1 FROM [alpine|AS|Build] ; image=alpine name=build\n2 RUN [true] ;\n" },
  { "scratch", "FROM scratch\n", "1 FROM [scratch] ; image=scratch\n" },
  { "platform", "FROM --platform=linux/arm64 alpine:3.19 as b\n",
    "1 FROM --platform=linux/arm64 [alpine:3.19|as|b] ; image=alpine:3.19 name=b platform=linux/arm64\n" },
  { "exec form", "FROM a\nCMD [\"echo\", \"hi there\"]\nENTRYPOINT [ \"/bin/sh\" , \"-c\" ]\n",
    "1 FROM [a] ; image=a\n2 CMD json [echo|hi there] ;\n3 ENTRYPOINT json [/bin/sh|-c] ;\n" },
  { "json escapes", "FROM a\nCMD [\"a\\\"b\", \"\\u00e9\\n\"]\n",
    "1 FROM [a] ; image=a\n2 CMD json [a\"b|\xc3\xa9\\n] ;\n" },
  { "bad json is shell form", "FROM a\nCMD [\"echo\", 'hi']\nRUN [ \"a\" \"b\" ]\n",
    "1 FROM [a] ; image=a\n2 CMD [[\"echo\", 'hi']] ;\n3 RUN [[ \"a\" \"b\" ]] ;\n" },
  { "empty json cmd", "FROM a\nCMD []\n", "1 FROM [a] ; image=a\n2 CMD json [] ;\n" },
  { "continuation", "FROM a\nRUN apt-get update && \\\n    apt-get install -y x\n",
    "1 FROM [a] ; image=a\n2-3 RUN [apt-get update &&     apt-get install -y x] ;\n" },
  { "continuation with comment and blank lines", "FROM a\nRUN echo a \\\n# comment\n\n  && echo b\n",
    "1 FROM [a] ; image=a\n2-5 RUN [echo a   && echo b] ;\n" },
  { "continuation trailing blanks", "FROM a\nRUN echo a \\  \n b\n",
    "1 FROM [a] ; image=a\n2-3 RUN [echo a  b] ;\n" },
  { "comments and blanks", "# hello\n\nFROM a\n   # indented comment\nRUN x # not a comment\n",
    "3 FROM [a] ; image=a\n5 RUN [x # not a comment] ;\n" },
  { "crlf", "FROM a\r\nRUN x \\\r\n y\r\n", "1 FROM [a] ; image=a\n2-3 RUN [x  y] ;\n" },
  { "bom", "\xef\xbb\xbf# escape=`\nFROM a\nRUN x `\n y\n",
    "#escape=`\n2 FROM [a] ; image=a\n3-4 RUN [x  y] ;\n" },
  { "directives", "# syntax=docker/dockerfile:1\n#CHECK = skip=all\n# Escape=\\\nFROM a\n",
    "#syntax=docker/dockerfile:1\n#check=skip=all\n#escape=\\\n4 FROM [a] ; image=a\n" },
  { "directive after comment is a comment", "# hello\n# escape=`\nFROM a\nRUN x \\\n y\n",
    "3 FROM [a] ; image=a\n4-5 RUN [x  y] ;\n" },
  { "directive after blank line is a comment", "\n# escape=`\nFROM a\n", "3 FROM [a] ; image=a\n" },
  { "unknown directive ends directives", "# foo=bar\n# escape=`\nFROM a\n", "3 FROM [a] ; image=a\n" },
  { "backtick escape", "# escape=`\nFROM a\nCOPY testfile.txt c:\\\nRUN dir c:\\ `\n  && echo ok\n",
    "#escape=`\n2 FROM [a] ; image=a\n3 COPY [testfile.txt|c:\\] ; src=[testfile.txt] dest=c:\\\n"
    "4-5 RUN [dir c:\\   && echo ok] ;\n" },
  { "run flags",
    "FROM a\nRUN --mount=type=cache,target=/root/.cache,sharing=locked --network=none pip install x\n",
    "1 FROM [a] ; image=a\n2 RUN --mount=type=cache,target=/root/.cache,sharing=locked --network=none [pip "
    "install x] ; "
    "mount(cache target=/root/.cache sharing=2 mode=755) network=none\n" },
  { "run mounts",
    "FROM a\nRUN --mount=target=/src --mount=type=secret,id=tok,required --mount=type=ssh "
    "--mount=type=tmpfs,dst=/t,size=64m --mount=type=bind,from=b,source=/x,target=/y,rw "
    "--mount=type=secret,id=aws,env=AWS --mount=type=cache,target=/c,uid=1000,gid=2,mode=0700,ro "
    "--security=insecure make\n",
    "1 FROM [a] ; image=a\n2 RUN --mount=target=/src --mount=type=secret,id=tok,required --mount=type=ssh "
    "--mount=type=tmpfs,dst=/t,size=64m --mount=type=bind,from=b,source=/x,target=/y,rw "
    "--mount=type=secret,id=aws,env=AWS --mount=type=cache,target=/c,uid=1000,gid=2,mode=0700,ro "
    "--security=insecure "
    "[make] ; mount(bind target=/src ro) mount(secret target=/run/secrets/tok id=tok required mode=400) "
    "mount(ssh id=default mode=600) mount(tmpfs target=/t size=67108864) mount(bind target=/y source=/x "
    "from=b) "
    "mount(secret id=aws env=AWS mode=400) mount(cache target=/c ro sharing=0 mode=700 uid=1000 gid=2) "
    "insecure\n" },
  { "quoted flag", "FROM a\nRUN --mount=\"type=bind,target=/a b\" x\n",
    "1 FROM [a] ; image=a\n2 RUN --mount=type=bind,target=/a b [x] ; mount(bind target=/a b ro)\n" },
  { "label", "FROM a\nLABEL a=b \"c d\"=\"e f\" g='h i' j=k\\ l\n",
    "1 FROM [a] ; image=a\n2 LABEL [] ; {a=b,\"c d\"=\"e f\",g='h i',j=k\\ l}\n" },
  { "env forms", "FROM a\nENV A=1 B=\"two words\"\nENV LEGACY value with  spaces\n",
    "1 FROM [a] ; image=a\n2 ENV [] ; {A=1,B=\"two words\"}\n3 ENV [] ; {LEGACY=value with  spaces}\n" },
  { "expose", "FROM a\nEXPOSE 80 443/tcp 53/UDP 8000-8010/sctp\n",
    "1 FROM [a] ; image=a\n2 EXPOSE [80|443/tcp|53/UDP|8000-8010/sctp] ; 80/tcp 443/tcp 53/udp "
    "8000-8010/sctp\n" },
  { "copy flags",
    "FROM a AS b\nFROM b\nCOPY --from=b --chown=1000:users --chmod=0640 --link --parents --exclude=*.md "
    "--exclude=x src1 src2 /dst/\n",
    "1 FROM [a|AS|b] ; image=a name=b\n2 FROM [b] ; image=b base=0\n3 COPY --from=b --chown=1000:users "
    "--chmod=0640 "
    "--link --parents --exclude=*.md --exclude=x [src1|src2|/dst/] ; src=[src1|src2] dest=/dst/ from=b/0 "
    "chown=1000:users chmod=0640/640 link parents exclude=[*.md|x]\n" },
  { "copy from index and image", "FROM a\nFROM c\nCOPY --from=0 x y\nCOPY --from=nginx:latest /a /b\n",
    "1 FROM [a] ; image=a\n2 FROM [c] ; image=c\n3 COPY --from=0 [x|y] ; src=[x] dest=y from=0/0\n"
    "4 COPY --from=nginx:latest [/a|/b] ; src=[/a] dest=/b from=nginx:latest/-1\n" },
  { "copy json", "FROM a\nCOPY [\"a b\", \"/c d/\"]\n",
    "1 FROM [a] ; image=a\n2 COPY json [a b|/c d/] ; src=[a b] dest=/c d/\n" },
  { "copy quotes split on blanks as docker", "FROM a\nCOPY \"a b\" /c\n",
    "1 FROM [a] ; image=a\n2 COPY [\"a|b\"|/c] ; src=[\"a|b\"] dest=/c\n" },
  { "add flags",
    "FROM a\nADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d "
    "--chmod=u=rwx,go=rx https://example.com/x.tgz /x\nADD --keep-git-dir=true git@github.com:a/b.git /b\n",
    "1 FROM [a] ; image=a\n2 ADD "
    "--checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d "
    "--chmod=u=rwx,go=rx [https://example.com/x.tgz|/x] ; src=[https://example.com/x.tgz] dest=/x "
    "chmod=u=rwx,go=rx/- checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d\n"
    "3 ADD --keep-git-dir=true [git@github.com:a/b.git|/b] ; src=[git@github.com:a/b.git] dest=/b "
    "keep-git-dir\n" },
  { "volume", "FROM a\nVOLUME /a /b\nVOLUME [\"/c\", \"/d\"]\n",
    "1 FROM [a] ; image=a\n2 VOLUME [/a|/b] ;\n3 VOLUME json [/c|/d] ;\n" },
  { "user workdir stopsignal maintainer",
    "FROM a\nUSER app:staff\nUSER 1000\nWORKDIR /a b\nSTOPSIGNAL SIGKILL\n"
    "STOPSIGNAL 9\nMAINTAINER Jo <jo@x>\n",
    "1 FROM [a] ; image=a\n2 USER [app:staff] ; user=app group=staff\n3 USER [1000] ; user=1000\n"
    "4 WORKDIR [/a b] ; value=/a b\n5 STOPSIGNAL [SIGKILL] ; value=SIGKILL\n6 STOPSIGNAL [9] ; value=9\n"
    "7 MAINTAINER [Jo <jo@x>] ; value=Jo <jo@x>\n" },
  { "arg", "ARG V=1 W\nFROM a\nARG X Y=\"z z\"\n",
    "1 ARG [] ; {V=1,W}\n2 FROM [a] ; image=a\n3 ARG [] ; {X,Y=\"z z\"}\n" },
  { "onbuild", "FROM a\nONBUILD RUN echo hi\nonbuild COPY --chown=1:1 . /app\n",
    "1 FROM [a] ; image=a\n2 ONBUILD [] ; trigger=RUN echo hi (RUN)\n"
    "3 ONBUILD [] ; trigger=COPY --chown=1:1 . /app (COPY)\n" },
  { "healthcheck",
    "FROM a\nHEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s --start-interval=500ms "
    "--retries=3 CMD curl -f http://localhost/ || exit 1\nHEALTHCHECK CMD [\"/bin/check\", \"x\"]\n"
    "HEALTHCHECK NONE\n",
    "1 FROM [a] ; image=a\n2 HEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s "
    "--start-interval=500ms "
    "--retries=3 [curl -f http://localhost/ || exit 1] ; test=[CMD-SHELL|curl -f http://localhost/ || exit "
    "1] "
    "interval=300000000000 timeout=3000000000 start=90000000000/500000000 retries=3\n"
    "3 HEALTHCHECK json [/bin/check|x] ; test=[CMD|/bin/check|x] interval=0 timeout=0 start=0/0 retries=0\n"
    "4 HEALTHCHECK [] ; none\n" },
  { "shell", "FROM a\nSHELL [\"powershell\", \"-command\"]\n",
    "1 FROM [a] ; image=a\n2 SHELL json [powershell|-command] ;\n" },
  { "heredoc run", "FROM a\nRUN <<EOF\napt-get update\napt-get install -y x\nEOF\nRUN true\n",
    "1 FROM [a] ; image=a\n2-5 RUN [<<EOF] <<EOF{apt-get update\\napt-get install -y x\\n} ;\n6 RUN [true] "
    ";\n" },
  { "heredoc two on a line",
    "FROM a\nRUN <<FILE1 cat > file1 && <<-FILE2 cat > file2\nI am\nfirst\nFILE1\n\tI am\n"
    "\t\tsecond\n\tFILE2\n",
    "1 FROM [a] ; image=a\n2-8 RUN [<<FILE1 cat > file1 && <<-FILE2 cat > file2] <<FILE1{I am\\nfirst\\n} "
    "<<-FILE2{I am\\nsecond\\n} ;\n" },
  { "heredoc quoted", "FROM a\nCOPY <<\"EOT\" /x\n$HOME\nEOT\nRUN python3 <<'PY'\nprint(1)\nPY\n",
    "1 FROM [a] ; image=a\n2-4 COPY [<<\"EOT\"|/x] <<'EOT{$HOME\\n} ; src=[<<\"EOT\"] dest=/x\n"
    "5-7 RUN [python3 <<'PY'] <<'PY{print(1)\\n} ;\n" },
  { "heredoc copy several", "FROM a\nCOPY <<one <<two /dest/\n1\none\n2\ntwo\n",
    "1 FROM [a] ; image=a\n2-6 COPY [<<one|<<two|/dest/] <<one{1\\n} <<two{2\\n} ; src=[<<one|<<two] "
    "dest=/dest/\n" },
  { "heredoc not in quotes", "FROM a\nRUN echo \"<<EOF\"\n",
    "1 FROM [a] ; image=a\n2 RUN [echo \"<<EOF\"] ;\n" },
  { "heredoc empty body", "FROM a\nRUN cat <<E\nE\n", "1 FROM [a] ; image=a\n2-3 RUN [cat <<E] <<E{} ;\n" },
  { "stage base by name", "FROM alpine AS base\nFROM base AS two\nFROM BASE\n",
    "1 FROM [alpine|AS|base] ; image=alpine name=base\n2 FROM [base|AS|two] ; image=base name=two base=0\n"
    "3 FROM [BASE] ; image=BASE base=0\n" },
  { "from with global args",
    "ARG TAG=3.19\nARG IMG=alpine:${TAG}\nFROM $IMG\nFROM busybox:${MISSING:-1.36}\n",
    "1 ARG [] ; {TAG=3.19}\n2 ARG [] ; {IMG=alpine:${TAG}}\n3 FROM [$IMG] ; image=alpine:3.19\n"
    "4 FROM [busybox:${MISSING:-1.36}] ; image=busybox:1.36\n" },
  { "flag separator", "FROM a\nRUN -- --not-a-flag\n", "1 FROM [a] ; image=a\n2 RUN [--not-a-flag] ;\n" },
};

struct error_case
{
  const char *name;
  const char *text;
  const char *expected;
};

static const struct error_case error_cases[] = {
  { "unknown instruction", "FROM a\n\nRUNN x\n", "Dockerfile:3: unknown instruction: RUNN" },
  { "no from", "RUN x\n", "Dockerfile:1: no FROM before RUN" },
  { "no from after arg", "ARG A\nCOPY a b\n", "Dockerfile:2: no FROM before COPY" },
  { "empty file", "# nothing\n\n", "Dockerfile: file with no instructions" },
  { "chown", "FROM a\n\n\n\n\n\nCOPY --chown=a:b:c x y\n",
    "Dockerfile:7: COPY --chown: invalid value \"a:b:c\"" },
  { "chmod", "FROM a\nADD --chmod=999 x y\n", "Dockerfile:2: ADD --chmod: invalid value \"999\"" },
  { "unterminated heredoc", "FROM a\nRUN <<EOF\necho\n", "Dockerfile:2: unterminated heredoc EOF" },
  { "unterminated second heredoc", "FROM a\nRUN <<A <<B\na\nA\nb\n", "Dockerfile:2: unterminated heredoc B" },
  { "shell not json", "FROM a\nSHELL /bin/sh -c\n",
    "Dockerfile:2: SHELL requires the arguments to be in JSON form" },
  { "duplicate stage", "FROM a AS build\nFROM b\nFROM c\nFROM d as BUILD\n",
    "Dockerfile:4: duplicate stage name \"build\"" },
  { "unknown flag", "FROM a\nRUN --foo=bar x\n", "Dockerfile:2: unknown flag: --foo" },
  { "flag on wrong instruction", "FROM a\nCOPY --network=none a b\n",
    "Dockerfile:2: unknown flag: --network" },
  { "flag without value", "FROM a\nCOPY --from a b\n", "Dockerfile:2: Missing a value on flag: --from" },
  { "duplicate flag", "FROM a\nCOPY --chown=1 --chown=2 a b\n",
    "Dockerfile:2: Duplicate flag specified: --chown" },
  { "bad bool", "FROM a\nCOPY --link=maybe a b\n",
    "Dockerfile:2: expecting boolean value for flag --link, not: maybe" },
  { "duplicate directive", "# escape=\\\n# escape=`\nFROM a\n",
    "Dockerfile:2: only one escape parser directive can be used" },
  { "bad escape", "# escape=x\nFROM a\n", "Dockerfile:1: invalid escape token 'x' does not match ` or \\" },
  { "from args", "FROM a b\n", "Dockerfile:1: FROM requires either one or three arguments" },
  { "from nothing", "FROM\n", "Dockerfile:1: FROM requires either one or three arguments" },
  { "expose nothing", "FROM a\nEXPOSE\n", "Dockerfile:2: EXPOSE requires at least one argument" },
  { "from as", "FROM a to b\n", "Dockerfile:1: FROM requires either one or three arguments" },
  { "stage name", "FROM a AS 1abc\n",
    "Dockerfile:1: invalid name for build stage: \"1abc\", name can't start with a number or contain "
    "symbols" },
  { "reserved stage", "FROM a AS scratch\n",
    "Dockerfile:1: 'scratch' is reserved and should not be used as a stage name" },
  { "copy one arg", "FROM a\nCOPY x\n",
    "Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be "
    "determined" },
  { "run empty", "FROM a\nRUN\n", "Dockerfile:2: RUN requires at least one argument" },
  { "env one word", "FROM a\nENV FOO\n", "Dockerfile:2: ENV must have two arguments" },
  { "label no equals", "FROM a\nLABEL a=b c\n",
    "Dockerfile:2: Syntax error - can't find = in \"c\". Must be of the form: name=value" },
  { "json not strings", "FROM a\nCMD [\"a\", 1]\n",
    "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only" },
  { "onbuild onbuild", "FROM a\nONBUILD ONBUILD RUN x\n",
    "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed" },
  { "onbuild from", "FROM a\nONBUILD FROM b\n", "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger" },
  { "onbuild maintainer", "FROM a\nONBUILD maintainer b\n",
    "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger" },
  { "onbuild bad trigger", "FROM a\nONBUILD RUNN b\n", "Dockerfile:2: unknown instruction: RUNN" },
  { "healthcheck none args", "FROM a\nHEALTHCHECK NONE x\n",
    "Dockerfile:2: HEALTHCHECK NONE takes no arguments" },
  { "healthcheck type", "FROM a\nHEALTHCHECK RUN x\n",
    "Dockerfile:2: Unknown type \"RUN\" in HEALTHCHECK (try CMD)" },
  { "healthcheck duration", "FROM a\nHEALTHCHECK --interval=5x CMD x\n",
    "Dockerfile:2: HEALTHCHECK --interval: invalid duration \"5x\"" },
  { "healthcheck small", "FROM a\nHEALTHCHECK --timeout=10us CMD x\n",
    "Dockerfile:2: HEALTHCHECK --timeout: 10us cannot be less than 1ms" },
  { "healthcheck retries", "FROM a\nHEALTHCHECK --retries=-1 CMD x\n",
    "Dockerfile:2: --retries cannot be negative (-1)" },
  { "expose", "FROM a\nEXPOSE 80/foo\n", "Dockerfile:2: EXPOSE: invalid port \"80/foo\"" },
  { "expose range", "FROM a\nEXPOSE 90-80\n", "Dockerfile:2: EXPOSE: invalid port \"90-80\"" },
  { "expose big", "FROM a\nEXPOSE 70000\n", "Dockerfile:2: EXPOSE: invalid port \"70000\"" },
  { "network", "FROM a\nRUN --network=bridge x\n",
    "Dockerfile:2: RUN --network: unsupported network mode \"bridge\"" },
  { "security", "FROM a\nRUN --security=high x\n",
    "Dockerfile:2: RUN --security: unsupported security mode \"high\"" },
  { "mount type", "FROM a\nRUN --mount=type=nfs,target=/x x\n",
    "Dockerfile:2: RUN --mount: unsupported mount type \"nfs\"" },
  { "mount key", "FROM a\nRUN --mount=type=bind,target=/x,foo=1 x\n",
    "Dockerfile:2: RUN --mount: unexpected key 'foo' in 'type=bind,target=/x,foo=1'" },
  { "mount target", "FROM a\nRUN --mount=type=cache x\n",
    "Dockerfile:2: RUN --mount: mount requires a target in 'type=cache'" },
  { "stopsignal", "FROM a\nSTOPSIGNAL SIGFOO\n", "Dockerfile:2: STOPSIGNAL: invalid signal \"SIGFOO\"" },
  { "checksum", "FROM a\nADD --checksum=md5:abc http://x/y /z\n",
    "Dockerfile:2: ADD --checksum: invalid value \"md5:abc\"" },
  { "copy from current stage", "FROM a AS me\nCOPY --from=me x y\n",
    "Dockerfile:2: COPY --from=me: cannot copy from the current build stage" },
  { "copy from later index", "FROM a\nCOPY --from=1 x y\nFROM b\n",
    "Dockerfile:2: COPY --from=1: index does not refer to an earlier build stage" },
  { "nul byte", "FROM a\nRUN a\0b\n", "Dockerfile:2: invalid NUL byte" },
  { "nul byte in heredoc", "FROM a\nRUN <<E\n\0\nE\n", "Dockerfile:3: invalid NUL byte" },
  { "bad substitution in from", "ARG A\nFROM ${A\n", "Dockerfile:2: A: missing '}'" },
  { "error modifier in from", "FROM ${IMG:?no_image}\n", "Dockerfile:1: IMG: no_image" },
  { "blank words in from", "FROM ${IMG:?need an image}\n",
    "Dockerfile:1: FROM requires either one or three arguments" },
  { "user empty", "FROM a\nUSER\n", "Dockerfile:2: USER requires exactly one argument" },
  { "arg blank name", "FROM a\nARG =x\n", "Dockerfile:2: ARG names can not be blank" },
};

static void
run_parse_cases (void)
{
  size_t i;
  for (i = 0; i < sizeof (parse_cases) / sizeof (parse_cases[0]); i++)
    {
      cleanup_error estiba_error_t err = NULL;
      const struct parse_case *c = &parse_cases[i];
      struct dockerfile *df = dockerfile_parse (c->text, strlen (c->text), "Dockerfile", NULL, &err);
      cleanup_free char *got = df ? dump (df) : NULL;

      if (!ok (got && strcmp (got, c->expected) == 0, "parse: %s", c->name))
        {
          cleanup_free char *msg = err ? estiba_error_string (err) : NULL;
          printf ("# expected:\n%s# got:\n%s\n", c->expected, got ? got : msg);
        }
      dockerfile_free (df);
    }
}

static void
run_error_cases (void)
{
  size_t i;
  for (i = 0; i < sizeof (error_cases) / sizeof (error_cases[0]); i++)
    {
      cleanup_error estiba_error_t err = NULL;
      const struct error_case *c = &error_cases[i];
      size_t len = strlen (c->text);
      struct dockerfile *df;
      cleanup_free char *msg = NULL;

      if (strcmp (c->name, "nul byte") == 0)
        len = 13;
      if (strcmp (c->name, "nul byte in heredoc") == 0)
        len = 18;
      df = dockerfile_parse (c->text, len, "Dockerfile", NULL, &err);
      msg = err ? estiba_error_string (err) : NULL;
      if (!ok (df == NULL && msg && strcmp (msg, c->expected) == 0 && strchr (msg, '\n') == NULL, "error: %s",
               c->name))
        printf ("# expected: %s\n# got:      %s\n", c->expected, msg ? msg : "(parsed)");
      dockerfile_free (df);
    }
}

/* ---- substitution, from Docker's reference and BuildKit's lexer ---- */

static const char *const test_env[] = {
  "FOO=foo", "EMPTY=", "PATHV=/usr/local/bin:/usr/bin", "FILE=archive.tar.gz", "SPACE=a b", NULL
};

static const char *
env_lookup (void *opaque, const char *name)
{
  const char *const *v;
  size_t len = strlen (name);
  (void) opaque;
  for (v = test_env; *v; v++)
    if (strncmp (*v, name, len) == 0 && (*v)[len] == '=')
      return *v + len + 1;
  return NULL;
}

struct word_case
{
  const char *word;
  char escape;
  const char *expected; /* NULL: error */
  const char *error;
};

static const struct word_case word_cases[] = {
  { "$FOO", '\\', "foo", NULL },
  { "${FOO}", '\\', "foo", NULL },
  { "${FOO}bar", '\\', "foobar", NULL },
  { "$FOO-bar", '\\', "foo-bar", NULL },
  { "$UNSET", '\\', "", NULL },
  { "a$", '\\', "a$", NULL },
  { "$ a", '\\', "$ a", NULL },
  { "\\$FOO", '\\', "$FOO", NULL },
  { "\\${FOO}", '\\', "${FOO}", NULL },
  { "'$FOO'", '\\', "$FOO", NULL },
  { "\"$FOO\"", '\\', "foo", NULL },
  { "\"\\$FOO\"", '\\', "$FOO", NULL },
  { "\"a\\nb\"", '\\', "a\\nb", NULL },
  { "\"a\\\"b\"", '\\', "a\"b", NULL },
  { "a\\ b", '\\', "a b", NULL },
  { "'a\\b'", '\\', "a\\b", NULL },
  { "${UNSET:-word}", '\\', "word", NULL },
  { "${EMPTY:-word}", '\\', "word", NULL },
  { "${EMPTY-word}", '\\', "", NULL },
  { "${UNSET-word}", '\\', "word", NULL },
  { "${FOO:-word}", '\\', "foo", NULL },
  { "${FOO:+word}", '\\', "word", NULL },
  { "${EMPTY:+word}", '\\', "", NULL },
  { "${EMPTY+word}", '\\', "word", NULL },
  { "${UNSET+word}", '\\', "", NULL },
  { "${UNSET:-${FOO}/x}", '\\', "foo/x", NULL },
  { "${UNSET:-$UNSET2}", '\\', "", NULL },
  { "${UNSET:-'a b'}", '\\', "a b", NULL },
  { "${UNSET:-\\}}", '\\', "}", NULL },
  { "${FOO:?}", '\\', "foo", NULL },
  { "${UNSET:?}", '\\', NULL, "UNSET: is not allowed to be unset" },
  { "${EMPTY:?}", '\\', NULL, "EMPTY: is not allowed to be empty" },
  { "${EMPTY?}", '\\', "", NULL },
  { "${UNSET?custom message}", '\\', NULL, "UNSET: custom message" },
  { "${FILE#*.}", '\\', "tar.gz", NULL },
  { "${FILE##*.}", '\\', "gz", NULL },
  { "${FILE%.*}", '\\', "archive.tar", NULL },
  { "${FILE%%.*}", '\\', "archive", NULL },
  { "${PATHV/bin/sbin}", '\\', "/usr/local/sbin:/usr/bin", NULL },
  { "${PATHV//bin/sbin}", '\\', "/usr/local/sbin:/usr/sbin", NULL },
  { "${SPACE}", '\\', "a b", NULL },
  { "${FILE/a*e/X}", '\\', "X.tar.gz", NULL },
  { "${FOO/o/0}", '\\', "f0o", NULL },
  { "${FOO//o/0}", '\\', "f00", NULL },
  { "${UNSET//o/0}", '\\', "", NULL },
  { "${FILE#*a*a*a*a*a*a*a*a*a}", '\\', NULL, "FILE: pattern too complex" },
  { "${FOO", '\\', NULL, "FOO: missing '}'" },
  { "${}", '\\', NULL, "bad substitution" },
  { "${FOO:x}", '\\', NULL, "unsupported modifier (:x) in substitution" },
  { "'abc", '\\', NULL, "unexpected end of statement while looking for matching single-quote" },
  { "\"abc", '\\', NULL, "unexpected end of statement while looking for matching double-quote" },
  { "`$FOO", '`', "$FOO", NULL },
  { "c:\\dir\\$FOO", '`', "c:\\dir\\foo", NULL },
  { "\"`\"\"", '`', "\"", NULL },
  { "x\\", '\\', "x", NULL },
};

static void
run_word_cases (void)
{
  size_t i;
  for (i = 0; i < sizeof (word_cases) / sizeof (word_cases[0]); i++)
    {
      cleanup_error estiba_error_t err = NULL;
      cleanup_free char *out = NULL;
      cleanup_free char *msg = NULL;
      const struct word_case *c = &word_cases[i];
      int ret = dockerfile_expand_word (c->word, c->escape, env_lookup, NULL, &out, &err);

      msg = err ? estiba_error_string (err) : NULL;
      if (c->expected)
        {
          if (!ok (ret == 0 && strcmp (out, c->expected) == 0, "expand %s", c->word))
            printf ("# expected [%s] got [%s]\n", c->expected, out ? out : msg);
        }
      else if (!ok (ret < 0 && msg && strcmp (msg, c->error) == 0, "expand %s fails", c->word))
        printf ("# expected error [%s] got [%s]\n", c->error, msg ? msg : out);
    }
}

/* ---- step-by-step expansion with ARG/ENV scoping ---- */

/* Expand every instruction of stage `stage` in order, as the executor
   does, and dump the result.  */
static char *
expand_stage (struct dockerfile *df, size_t stage, char *const *image_env, char ***run_env,
              estiba_error_t *err)
{
  struct dockerfile_scope *scope = dockerfile_scope_new (df, stage, image_env);
  char *s = NULL;
  size_t len = 0, i;
  FILE *f = open_memstream (&s, &len);

  for (i = 0; i < df->stages[stage].n_instructions; i++)
    {
      struct dockerfile_instruction *in = &df->stages[stage].instructions[i];
      if (dockerfile_expand_instruction (in, scope, df->filename, err) < 0)
        break;
      dump_instruction (f, in);
      if (in->kind == DOCKERFILE_RUN && run_env)
        {
          cleanup_strv char **env = dockerfile_scope_run_env (scope);
          for (char **e = env; e && *e; e++)
            fprintf (f, "  %s\n", *e);
        }
    }
  fclose (f);
  dockerfile_scope_free (scope);
  if (*err)
    {
      free (s);
      return NULL;
    }
  return s;
}

struct scope_case
{
  const char *name;
  const char *text;
  size_t stage;
  const char *build_args[4];
  const char *expected;
};

static const struct scope_case scope_cases[] = {
  { "env and substitution (docker docs)",
    "FROM busybox\nENV FOO=/bar\nWORKDIR ${FOO}\nADD . $FOO\nCOPY \\$FOO /quux\nENV abc=hello\nENV abc=bye "
    "def=$abc\n"
    "ENV ghi=$abc\n",
    0,
    { NULL },
    "1 FROM [busybox] ; image=busybox\n2 ENV [] ; {FOO=/bar}\n3 WORKDIR [${FOO}] ; value=/bar\n"
    "4 ADD [.|$FOO] ; src=[.] dest=/bar\n5 COPY [\\$FOO|/quux] ; src=[$FOO] dest=/quux\n6 ENV [] ; "
    "{abc=hello}\n"
    "7 ENV [] ; {abc=bye,def=hello}\n8 ENV [] ; {ghi=bye}\n" },
  { "global arg needs redeclaring (docker docs)",
    "ARG VERSION=latest\nFROM busybox:$VERSION\nARG VERSION\nRUN echo $VERSION > image_version\nLABEL "
    "v=$VERSION\n",
    0,
    { NULL },
    "2 FROM [busybox:$VERSION] ; image=busybox:latest\n3 ARG [] ; {VERSION}\n4 RUN [echo $VERSION > "
    "image_version] ;\n"
    "  HOME=/root\n  PATH=/usr/bin\n  VERSION=latest\n5 LABEL [] ; {v=latest}\n" },
  { "global arg not visible in stage",
    "ARG VERSION=latest\nFROM busybox\nLABEL v=\"[$VERSION]\"\n",
    0,
    { NULL },
    "2 FROM [busybox] ; image=busybox\n3 LABEL [] ; {v=[]}\n" },
  { "build args override defaults; env overrides arg (docker docs)",
    "FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nRUN echo $CONT_IMG_VER\nARG USER=some_user\n"
    "USER ${USER}\nARG NOTGIVEN\nLABEL n=${NOTGIVEN-unset}\n",
    0,
    { "CONT_IMG_VER=v2.0.1", "USER=what_user", NULL },
    "1 FROM [ubuntu] ; image=ubuntu\n2 ARG [] ; {CONT_IMG_VER}\n3 ENV [] ; {CONT_IMG_VER=v1.0.0}\n"
    "4 RUN [echo $CONT_IMG_VER] ;\n  HOME=/root\n  PATH=/usr/bin\n  CONT_IMG_VER=v1.0.0\n5 ARG [] ; "
    "{USER=some_user}\n6 USER [${USER}] ; user=what_user\n"
    "7 ARG [] ; {NOTGIVEN}\n8 LABEL [] ; {n=unset}\n" },
  { "arg default used before declaration is empty",
    "FROM busybox\nUSER ${username:-some_user}\nARG username\nUSER $username\n",
    0,
    { "username=what_user", NULL },
    "1 FROM [busybox] ; image=busybox\n2 USER [${username:-some_user}] ; user=some_user\n3 ARG [] ; "
    "{username}\n"
    "4 USER [$username] ; user=what_user\n" },
  { "platform args in FROM and when declared",
    "FROM --platform=$BUILDPLATFORM golang AS build\nARG TARGETOS TARGETARCH\nENV X=$TARGETOS-$TARGETARCH "
    "Y=[$BUILDOS]\n",
    0,
    { NULL },
    "1 FROM --platform=$BUILDPLATFORM [golang|AS|build] ; image=golang name=build platform=linux/amd64\n"
    "2 ARG [] ; {TARGETOS,TARGETARCH}\n3 ENV [] ; {X=linux-arm64,Y=[]}\n" },
  { "proxy args reach RUN only",
    "FROM a\nRUN env\nLABEL p=[$HTTP_PROXY]\n",
    0,
    { "HTTP_PROXY=http://proxy:3128", "UNUSED=1", NULL },
    "1 FROM [a] ; image=a\n2 RUN [env] ;\n  HOME=/root\n  PATH=/usr/bin\n  HTTP_PROXY=http://proxy:3128\n3 "
    "LABEL [] ; {p=[]}\n" },
  { "copy with variables, heredoc expansion",
    "FROM a AS one\nFROM b\nARG SRC=one\nARG OWNER=1:2\nCOPY --from=$SRC --chown=$OWNER --chmod=${MODE:-755} "
    "a b\n"
    "ENV NAME=world\nCOPY <<EOF <<'RAW' /x/\nhello $NAME \"q\" \\$NAME\nEOF\nraw $NAME\nRAW\n",
    1,
    { NULL },
    "2 FROM [b] ; image=b\n3 ARG [] ; {SRC=one}\n4 ARG [] ; {OWNER=1:2}\n"
    "5 COPY --from=$SRC --chown=$OWNER --chmod=${MODE:-755} [a|b] ; src=[a] dest=b from=one/0 chown=1:2 "
    "chmod=755/755\n"
    "6 ENV [] ; {NAME=world}\n7-11 COPY [<<EOF|<<'RAW'|/x/] <<EOF{hello world \"q\" $NAME\\n} <<'RAW{raw "
    "$NAME\\n} ; "
    "src=[<<EOF|<<'RAW'] dest=/x/\n" },
  { "expose, volume, stopsignal, mount with variables",
    "FROM a\nARG P=8080 SIG=SIGTERM CACHE=/c\nEXPOSE $P ${P}/udp\nVOLUME $CACHE\nSTOPSIGNAL $SIG\n"
    "RUN --mount=type=cache,target=$CACHE x\n",
    0,
    { NULL },
    "1 FROM [a] ; image=a\n2 ARG [] ; {P=8080,SIG=SIGTERM,CACHE=/c}\n3 EXPOSE [8080|8080/udp] ; 8080/tcp "
    "8080/udp\n"
    "4 VOLUME [/c] ;\n5 STOPSIGNAL [$SIG] ; value=SIGTERM\n6 RUN --mount=type=cache,target=$CACHE [x] ; "
    "mount(cache target=/c sharing=0 mode=755)\n  HOME=/root\n  PATH=/usr/bin\n  P=8080\n  SIG=SIGTERM\n  "
    "CACHE=/c\n" },
  { "backtick escape: backslashes are plain, ` escapes",
    "# escape=`\nFROM a\nENV DIR=C:\\tools `\n    Q=\"a`\"b\" D=`$HOME\nWORKDIR ${DIR}\\bin\n",
    0,
    { NULL },
    "2 FROM [a] ; image=a\n3-4 ENV [] ; {DIR=C:\\tools,Q=a\"b,D=$HOME}\n5 WORKDIR [${DIR}\\bin] ; "
    "value=C:\\tools\\bin\n" },
  { "image env is visible",
    "FROM a\nWORKDIR $HOME/src\nENV PATH=/opt/bin:$PATH\n",
    0,
    { NULL },
    "1 FROM [a] ; image=a\n2 WORKDIR [$HOME/src] ; value=/root/src\n3 ENV [] ; {PATH=/opt/bin:/usr/bin}\n" },
};

static void
run_scope_cases (void)
{
  static char *const image_env[] = { "HOME=/root", "PATH=/usr/bin", NULL };
  size_t i;
  for (i = 0; i < sizeof (scope_cases) / sizeof (scope_cases[0]); i++)
    {
      const struct scope_case *c = &scope_cases[i];
      struct dockerfile_build_args args = { (char *const *) c->build_args, "linux/arm64", "linux/amd64" };
      cleanup_error estiba_error_t err = NULL;
      struct dockerfile *df = dockerfile_parse (c->text, strlen (c->text), "Dockerfile", &args, &err);
      cleanup_free char *got = NULL;
      cleanup_free char *msg = NULL;
      char **run_env = NULL;

      if (df)
        {
          char *stage = expand_stage (df, c->stage, c->stage == 0 ? image_env : NULL, &run_env, &err);
          got = stage;
        }
      msg = err ? estiba_error_string (err) : NULL;
      if (!ok (got && strcmp (got, c->expected) == 0, "scope: %s", c->name))
        printf ("# expected:\n%s# got:\n%s\n", c->expected, got ? got : msg);
      dockerfile_free (df);
    }
}

struct expand_error_case
{
  const char *name;
  const char *text;
  const char *expected;
};

static const struct expand_error_case expand_error_cases[] = {
  { "chown from variable", "FROM a\nARG O=a:b:c\nCOPY --chown=$O x y\n",
    "Dockerfile:3: COPY --chown: invalid value \"a:b:c\"" },
  { "port from variable", "FROM a\nENV P=http\nEXPOSE $P\n", "Dockerfile:3: EXPOSE: invalid port \"http\"" },
  { "required variable", "FROM a\nWORKDIR ${DIR:?set DIR}\n", "Dockerfile:2: WORKDIR: DIR: set DIR" },
  { "empty volume", "FROM a\nVOLUME $NOTHING\n",
    "Dockerfile:2: VOLUME specified can not be an empty string" },
  { "blank env name", "FROM a\nENV $NOTHING=x\n", "Dockerfile:2: ENV names can not be blank" },
};

static void
run_expand_error_cases (void)
{
  size_t i;
  for (i = 0; i < sizeof (expand_error_cases) / sizeof (expand_error_cases[0]); i++)
    {
      const struct expand_error_case *c = &expand_error_cases[i];
      cleanup_error estiba_error_t err = NULL;
      struct dockerfile *df = dockerfile_parse (c->text, strlen (c->text), "Dockerfile", NULL, &err);
      cleanup_free char *got = df ? expand_stage (df, 0, NULL, NULL, &err) : NULL;
      cleanup_free char *msg = err ? estiba_error_string (err) : NULL;

      if (!ok (got == NULL && msg && strcmp (msg, c->expected) == 0, "expand error: %s", c->name))
        printf ("# expected: %s\n# got:      %s\n", c->expected, msg ? msg : got);
      dockerfile_free (df);
    }
}

/* A child stage inherits the ARGs of its base stage (BuildKit).  */
static void
run_inherit_case (void)
{
  static const char text[] = "FROM alpine AS base\nARG NAME=joe\nFROM base AS build\nLABEL n=$NAME\n"
                             "FROM alpine\nLABEL n=[$NAME]\n";
  cleanup_error estiba_error_t err = NULL;
  struct dockerfile *df = dockerfile_parse (text, strlen (text), "Dockerfile", NULL, &err);
  struct dockerfile_scope *s0, *s1, *s2;
  size_t i;
  bool good = df != NULL;

  if (!good)
    {
      ok (false, "inherit: parse");
      return;
    }
  s0 = dockerfile_scope_new (df, 0, NULL);
  s1 = dockerfile_scope_new (df, 1, NULL);
  s2 = dockerfile_scope_new (df, 2, NULL);
  for (i = 0; i < df->stages[0].n_instructions; i++)
    good =
      good && dockerfile_expand_instruction (&df->stages[0].instructions[i], s0, "Dockerfile", &err) == 0;
  good = good && df->stages[1].from->from.base_stage == 0 && dockerfile_scope_inherit_args (s1, s0) == 0;
  for (i = 0; i < df->stages[1].n_instructions; i++)
    good =
      good && dockerfile_expand_instruction (&df->stages[1].instructions[i], s1, "Dockerfile", &err) == 0;
  for (i = 0; i < df->stages[2].n_instructions; i++)
    good =
      good && dockerfile_expand_instruction (&df->stages[2].instructions[i], s2, "Dockerfile", &err) == 0;
  ok (good && strcmp (df->stages[1].instructions[1].kvs[0].value, "joe") == 0
        && strcmp (df->stages[2].instructions[1].kvs[0].value, "[]") == 0,
      "inherit: ARGs reach child stages only");
  dockerfile_scope_free (s0);
  dockerfile_scope_free (s1);
  dockerfile_scope_free (s2);
  dockerfile_free (df);
}

/* ---- API odds and ends ---- */

static void
run_api_cases (void)
{
  static const char text[] = "FROM a AS base\nFROM base AS Build\nRUN <<EOF\necho hi\nEOF\n"
                             "RUN cat <<A <<-'B'\n1\nA\n\t2\n\tB\nFROM scratch\n";
  cleanup_error estiba_error_t err = NULL;
  struct dockerfile *df = dockerfile_parse (text, strlen (text), "ctx/Dockerfile.dev", NULL, &err);
  const struct dockerfile_stage *st;
  cleanup_free char *script1 = NULL;
  cleanup_free char *script2 = NULL;

  if (!ok (df != NULL, "api: parse"))
    return;
  st = dockerfile_find_stage (df, "build");
  ok (st && st->index == 1 && st->from == &st->instructions[0] && st->n_instructions == 3,
      "api: find stage by name");
  ok (dockerfile_find_stage (df, "BASE") == &df->stages[0], "api: find stage case-insensitively");
  ok (dockerfile_find_stage (df, "2") == &df->stages[2], "api: find stage by index");
  ok (dockerfile_find_stage (df, "3") == NULL && dockerfile_find_stage (df, "nope") == NULL,
      "api: unknown stage");
  script1 = dockerfile_run_script (&df->stages[1].instructions[1]);
  script2 = dockerfile_run_script (&df->stages[1].instructions[2]);
  ok (script1 && strcmp (script1, "echo hi\n") == 0, "api: run script of a lone heredoc");
  ok (script2 && strcmp (script2, "cat <<A <<-'B'\n1\nA\n2\nB") == 0, "api: run script with heredocs");
  ok (strcmp (df->stages[1].instructions[2].original, "RUN cat <<A <<-'B'") == 0, "api: original text kept");
  dockerfile_free (df);

  {
    static const char mixed[] = "FROM a\nADD <<EOF foo.txt <<-\"E2\" /bar\n\"quotes\" $X\nEOF\n\tE2\n";
    df = dockerfile_parse (mixed, strlen (mixed), "Dockerfile", NULL, &err);
    const struct dockerfile_instruction *add = df ? &df->stages[0].instructions[1] : NULL;
    ok (add && add->copy.sources.n == 3
          && dockerfile_source_heredoc (add, add->copy.sources.v[0]) == &add->heredocs[0]
          && dockerfile_source_heredoc (add, add->copy.sources.v[1]) == NULL
          && dockerfile_source_heredoc (add, add->copy.sources.v[2]) == &add->heredocs[1]
          && strcmp (add->heredocs[0].content, "\"quotes\" $X\n") == 0
          && strcmp (add->heredocs[1].content, "") == 0 && !add->heredocs[1].expand && add->heredocs[1].chomp,
        "api: heredoc and file sources mixed");
    dockerfile_free (df);
  }

  df = dockerfile_parse ("FROM a\nRUN x\n", 12, "Dockerfile", NULL, &err);
  ok (df && df->n_stages == 1, "api: parse without trailing newline length");
  dockerfile_free (df);

  {
    struct dockerfile_instruction *t =
      dockerfile_parse_instruction ("COPY --chown=1 a b", "Dockerfile", 3, '\\', &err);
    ok (t && t->kind == DOCKERFILE_COPY && strcmp (t->copy.chown, "1") == 0, "api: parse an ONBUILD trigger");
    dockerfile_instruction_free (t);
  }
  {
    char *const bad[] = { "NOEQUALS", NULL };
    struct dockerfile_build_args args = { bad, NULL, NULL };
    df = dockerfile_parse ("FROM a\n", 7, "Dockerfile", &args, &err);
    cleanup_free char *msg = err ? estiba_error_string (err) : NULL;
    ok (df == NULL && msg && strcmp (msg, "invalid build arg \"NOEQUALS\": expected NAME=VALUE") == 0,
        "api: malformed build arg");
    estiba_error_release (&err);
  }
}

/* ---- whole files under tests/unit/data/dockerfile: X.Dockerfile ->
   X.expected (the dump), or X.error (the error line) ---- */

static char *
read_file (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  char *s = NULL;
  size_t cap = 0;
  if (f == NULL)
    return NULL;
  *len = 0;
  for (;;)
    {
      char *p = realloc (s, cap + 4096 + 1);
      size_t r;
      if (p == NULL)
        break;
      s = p;
      r = fread (s + *len, 1, 4096, f);
      *len += r;
      cap += 4096;
      if (r == 0)
        break;
    }
  fclose (f);
  if (s)
    s[*len] = '\0';
  return s;
}

static void
run_data_files (void)
{
  const char *dir = getenv ("SRCDIR") ? NULL : DOCKERFILE_TEST_DATA;
  cleanup_free char *dir_buf = NULL;
  struct dirent **names = NULL;
  struct dockerfile_build_args fixed_platform = { NULL, "linux/amd64", "linux/amd64" };
  int n, i;

  if (dir == NULL)
    {
      if (asprintf (&dir_buf, "%s/tests/unit/data/dockerfile", getenv ("SRCDIR")) < 0)
        return;
      dir = dir_buf;
    }
  n = scandir (dir, &names, NULL, alphasort);
  ok (n > 0, "data: %s readable", dir);
  for (i = 0; i < n; i++)
    {
      const char *name = names[i]->d_name;
      size_t nl = strlen (name), len, elen;
      cleanup_free char *path = NULL;
      cleanup_free char *text = NULL;
      cleanup_free char *expected = NULL;
      cleanup_free char *got = NULL;
      cleanup_free char *base = NULL;
      cleanup_error estiba_error_t err = NULL;
      struct dockerfile *df;
      bool want_error;

      if (nl < 11 || strcmp (name + nl - 11, ".Dockerfile") != 0)
        {
          free (names[i]);
          continue;
        }
      base = strndup (name, nl - 11);
      if (asprintf (&path, "%s/%s", dir, name) < 0)
        abort ();
      text = read_file (path, &len);
      free (path);
      if (asprintf (&path, "%s/%s.expected", dir, base) < 0)
        abort ();
      expected = read_file (path, &elen);
      want_error = expected == NULL;
      if (want_error)
        {
          free (path);
          if (asprintf (&path, "%s/%s.error", dir, base) < 0)
            abort ();
          expected = read_file (path, &elen);
          if (expected && elen && expected[elen - 1] == '\n')
            expected[elen - 1] = '\0';
        }
      /* Fixed platforms: the expected files must not depend on this host.  */
      df = text ? dockerfile_parse (text, len, "Dockerfile", &fixed_platform, &err) : NULL;
      got = df ? dump (df) : err ? estiba_error_string (err) : NULL;
      if (!ok (expected && got && (df != NULL) == !want_error && strcmp (got, expected) == 0, "data: %s",
               name))
        printf ("# expected:\n%s\n# got:\n%s\n", expected ? expected : "(no .expected/.error file)",
                got ? got : "");
      dockerfile_free (df);
      free (names[i]);
    }
  free (names);
}

int
main (void)
{
  run_parse_cases ();
  run_error_cases ();
  run_word_cases ();
  run_scope_cases ();
  run_expand_error_cases ();
  run_inherit_case ();
  run_api_cases ();
  run_data_files ();
  return tap_done ();
}
