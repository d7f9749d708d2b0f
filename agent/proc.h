/* Processes: spawning without a shell, running tools with a timeout. */
#ifndef PROC_H
#define PROC_H

#include <sys/types.h>

/*
 * Fork and execv argv[0] with argv.  The child gets a new session, default
 * signal dispositions and an empty mask, stdin/stdout/stderr from the
 * given descriptors (-1: /dev/null) and every other descriptor closed
 * except keep_fd (-1: none), which is dup'ed to descriptor 3.
 * Returns the pid or -1 with errno.
 */
pid_t	 proc_spawn(char *const [], int, int, int, int);

/*
 * Run a tool to completion: argv as above, its stdout (and stderr) are
 * collected into *output (new string, may be NULL).  After timeout_ms the
 * tool is killed (SIGKILL) and -1 returned with a cause naming the tool.
 * Returns 0 with *status the wait(2) status, or -1 with *cause.
 */
int	 proc_run(char *const [], int, char **, int *, char **);

/* "exited with status N" / "killed by signal N" (static buffer). */
const char *proc_status_string(int);

/* Join argv into one display string (new string). */
char	*proc_argv_string(char *const []);

/* Close every descriptor >= lowfd. */
void	 proc_closefrom(int);

#endif
