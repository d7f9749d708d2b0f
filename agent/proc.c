/*
 * Processes without a shell: spawn with a clean slate, run tools with a
 * timeout.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "proc.h"
#include "util.h"
#include "xmalloc.h"

void
proc_closefrom(int lowfd)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, dfd;
	long		 max;

#if defined(__FreeBSD__)
	closefrom(lowfd);
	return;
#endif
	if ((d = opendir("/proc/self/fd")) != NULL) {
		dfd = dirfd(d);
		while ((de = readdir(d)) != NULL) {
			fd = atoi(de->d_name);
			if (de->d_name[0] == '.' || fd < lowfd || fd == dfd)
				continue;
			close(fd);
		}
		closedir(d);
		return;
	}
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = lowfd; fd < max; fd++)
		close(fd);
}

static void
proc_child_setup(int in, int out, int err, int keep)
{
	sigset_t	 set;
	int		 sig, null;

	setsid();
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);

	null = open("/dev/null", O_RDWR);
	if (in == -1)
		in = null;
	if (out == -1)
		out = null;
	if (err == -1)
		err = null;
	/* Move everything above 3 first so dup2 cannot clobber a source. */
	if (keep != -1 && keep != 3) {
		int	k = fcntl(keep, F_DUPFD, 10);

		keep = k;
	}
	if (in < 3 || out < 3 || err < 3) {
		in = fcntl(in, F_DUPFD, 10);
		out = fcntl(out, F_DUPFD, 10);
		err = fcntl(err, F_DUPFD, 10);
	}
	dup2(in, 0);
	dup2(out, 1);
	dup2(err, 2);
	if (keep != -1) {
		if (keep != 3)
			dup2(keep, 3);
		fcntl(3, F_SETFD, 0);
		proc_closefrom(4);
	} else
		proc_closefrom(3);
}

pid_t
proc_spawn(char *const argv[], int in, int out, int err, int keep)
{
	pid_t	pid;

	switch (pid = fork()) {
	case -1:
		return (-1);
	case 0:
		proc_child_setup(in, out, err, keep);
		execv(argv[0], argv);
		dprintf(2, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return (pid);
}

int
proc_run(char *const argv[], int timeout_ms, char **output, int *status,
    char **cause)
{
	struct pollfd	 pfd;
	char		*buf = NULL, tmp[4096];
	size_t		 len = 0;
	ssize_t		 n;
	double		 deadline;
	pid_t		 pid;
	int		 p[2], left, st;

	if (output != NULL)
		*output = NULL;
	if (pipe(p) == -1) {
		xasprintf(cause, "%s: pipe: %s", argv[0], strerror(errno));
		return (-1);
	}
	fd_cloexec(p[0]);
	if ((pid = proc_spawn(argv, -1, p[1], p[1], -1)) == -1) {
		xasprintf(cause, "%s: fork: %s", argv[0], strerror(errno));
		close(p[0]);
		close(p[1]);
		return (-1);
	}
	close(p[1]);
	deadline = mono_now() + timeout_ms / 1000.0;
	pfd.fd = p[0];
	pfd.events = POLLIN;
	for (;;) {
		left = (int)((deadline - mono_now()) * 1000);
		if (left <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			close(p[0]);
			free(buf);
			xasprintf(cause, "%s did not finish within %d ms and "
			    "was killed", argv[0], timeout_ms);
			return (-1);
		}
		if (poll(&pfd, 1, left) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd.revents == 0)
			continue;
		n = read(p[0], tmp, sizeof tmp);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < 65536) {
			buf = xrealloc(buf, len + n + 1);
			memcpy(buf + len, tmp, n);
			len += n;
			buf[len] = '\0';
		}
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) == -1) {
		if (errno != EINTR) {
			free(buf);
			xasprintf(cause, "%s: waitpid: %s", argv[0],
			    strerror(errno));
			return (-1);
		}
	}
	*status = st;
	if (output != NULL)
		*output = buf;
	else
		free(buf);
	return (0);
}

const char *
proc_status_string(int status)
{
	static char	buf[64];

	if (WIFEXITED(status))
		snprintf(buf, sizeof buf, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof buf, "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, sizeof buf, "wait status %#x", status);
	return (buf);
}

char *
proc_argv_string(char *const argv[])
{
	char	*s = NULL, *t;
	int	 i;

	for (i = 0; argv[i] != NULL; i++) {
		xasprintf(&t, "%s%s%s", s == NULL ? "" : s,
		    s == NULL ? "" : " ", argv[i]);
		free(s);
		s = t;
	}
	return (s == NULL ? xstrdup("") : s);
}
