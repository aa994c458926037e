/* Command-line parsing with runc's (urfave/cli + Go flag) conventions:
 * "--name value", "--name=value", "-name value", "-n value", boolean
 * "--name=false", "--" ends the options.  Each command describes its
 * options in a table whose entries point at the variables they fill, so a
 * command's flags, their parsing and their --help text live together.  */
#ifndef ESTIBA_CLI_H
#define ESTIBA_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

enum cli_kind
{
  CLI_BOOL,        /* bool *; "--x", "--x=true|false" */
  CLI_STRING,      /* const char **; the last one given wins */
  CLI_INT,         /* int *; a non-negative decimal number */
  CLI_STRING_LIST, /* struct cli_list *; repeatable, every value kept */
  CLI_TRISTATE,    /* int *; 1/0/-1 from "true"/"false"/"auto"; a bare "--x" means true */
};

/* Values of a repeatable option, NULL-terminated; the strings belong to
 * argv, the array to the list (release with cli_list_release).  */
struct cli_list
{
  char **items;
  size_t len;
};

struct cli_option
{
  const char *name; /* long name without dashes */
  char short_name;  /* 0 when none */
  enum cli_kind kind;
  void *value;          /* where the parsed value goes, see cli_kind */
  const char *arg_name; /* the value's name in --help ("PATH"), NULL for "VALUE" */
  const char *help;
};

#define CLI_UNLIMITED ((size_t) -1)

struct cli_command
{
  const char *name;                 /* "create"; "" for the global options */
  const char *args;                 /* positional arguments in the usage line */
  const char *summary;              /* one line, shown in the command list */
  const char *description;          /* paragraphs after the usage, or NULL */
  const struct cli_option *options; /* terminated by an entry with name NULL */
  size_t min_args, max_args;
  /* Options end at the first positional argument: the rest belongs to the
   * command run in the container (exec) or is the signal (kill).  */
  bool stop_at_first_arg;
};

#define CLI_HELP 1

/* Parse argv[1..argc-1] (argv[0] is the command name) into the option
 * variables and *args (positional arguments, NULL-terminated, the array
 * is the caller's to free, the strings belong to argv).  Returns 0 when
 * parsed, CLI_HELP when -h/--help was given (nothing printed), <0 on a
 * usage error naming the problem.  The argument count is not checked.  */
int cli_parse (const struct cli_command *cmd, int argc, char **argv, char ***args, size_t *nargs,
               estiba_error_t *err);

/* cli_parse for a command: also prints its help for --help and checks the
 * number of positional arguments against min_args/max_args.  */
int cli_parse_command (const struct cli_command *cmd, int argc, char **argv, char ***args, size_t *nargs,
                       estiba_error_t *err);

/* The --help text of a command.  */
void cli_print_help (const struct cli_command *cmd, FILE *out);

/* Print the options table of a command (used by the global help).  */
void cli_print_options (const struct cli_option *options, FILE *out);

void cli_list_release (struct cli_list *list);
#define cleanup_cli_list __attribute__ ((cleanup (cli_list_release)))

#endif
