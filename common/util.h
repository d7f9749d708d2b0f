/* Small helpers shared by the agent, the monitor and the TUI. */
#ifndef UTIL_H
#define UTIL_H

#include <sys/types.h>
#include <stddef.h>

/* Create a directory and its parents with mode; 0 or -1 with errno. */
int	 mkdir_p(const char *, mode_t);
/*
 * Write data to path atomically: temp file in the same directory, fsync,
 * rename over path.  mode applies when path does not exist yet, else the
 * old file's mode is kept.  0 or -1 with errno.
 */
int	 write_file_atomic(const char *, const void *, size_t, mode_t);
/* Read a whole (small) file, NUL-terminated; NULL with errno. */
char	*read_file(const char *, size_t, size_t *);
/* Copy a file to a new path (fails if dst exists), mode of dst. */
int	 copy_file(const char *, const char *, mode_t);
/* Set close-on-exec / non-blocking on a descriptor. */
int	 fd_cloexec(int);
int	 fd_nonblock(int);
/* Monotonic seconds (for uptimes and timeouts). */
double	 mono_now(void);
/*
 * Edit distance of two short strings for "did you mean" (optimal string
 * alignment: a swap of neighbours is one edit; '_' and '-' count as
 * equal).  Strings over 32 characters are "far": INT_MAX / 2.
 */
int	 str_distance(const char *, const char *);
/* Is path an existing file/directory we can reach? */
int	 path_exists(const char *);

#endif
