/*
 * The serial console as a raw byte stream: stdin to the agent, the agent
 * to stdout.  ~. at the start of a line detaches (as in cu(1)); ~~ sends
 * one ~.  Used by `--batch console` and by the full screen.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "util.h"
#include "xmalloc.h"
#include "tui.h"

#define CONSOLE_DRAIN_IDLE	0.5	/* s of quiet ends the drain */
#define CONSOLE_DRAIN_MAX	3.0	/* s at most after stdin's EOF */

static struct termios		console_saved;
static int			console_saved_ok;
static volatile sig_atomic_t	console_signal;

void
console_restore(void)
{
	if (console_saved_ok) {
		tcsetattr(STDIN_FILENO, TCSADRAIN, &console_saved);
		console_saved_ok = 0;
	}
}

static void
console_signal_cb(int sig)
{
	console_signal = sig;
}

static int
console_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return (-1);
		}
		buf += n;
		len -= n;
	}
	return (0);
}

/*
 * Filter what was typed for the escape: returns 1 when ~. was seen
 * (out then holds what came before it).
 */
static int
console_filter(const char *in, size_t len, char *out, size_t *outlen,
    int *bol, int *esc)
{
	size_t	i, o = 0;
	char	c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (*esc) {
			*esc = 0;
			if (c == '.') {
				*outlen = o;
				return (1);
			}
			if (c == CONSOLE_ESCAPE) {
				out[o++] = c;
				*bol = 0;
				continue;
			}
			out[o++] = CONSOLE_ESCAPE;
		}
		if (*bol && c == CONSOLE_ESCAPE) {
			*esc = 1;
			continue;
		}
		out[o++] = c;
		*bol = (c == '\r' || c == '\n');
	}
	*outlen = o;
	return (0);
}

static void
console_raw(void)
{
	struct termios	tio;

	if (!isatty(STDIN_FILENO) ||
	    tcgetattr(STDIN_FILENO, &console_saved) == -1)
		return;
	console_saved_ok = 1;
	tio = console_saved;
	cfmakeraw(&tio);
	tcsetattr(STDIN_FILENO, TCSADRAIN, &tio);
}

int
console_run(int fd, const char *name, char **cause)
{
	struct sigaction	 sa, oterm, ohup, oint;
	struct pollfd		 pfd[2];
	char			 in[4096], out[8192], buf[16384];
	size_t			 outlen;
	ssize_t			 n;
	double			 drain_end = 0, idle_end = 0, now;
	int			 bol = 1, esc = 0, stdin_eof = 0, ret = 0;
	int			 timeout, flags, detach = 0;

	if ((flags = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = console_signal_cb;
	sigemptyset(&sa.sa_mask);
	console_signal = 0;
	sigaction(SIGTERM, &sa, &oterm);
	sigaction(SIGHUP, &sa, &ohup);
	sigaction(SIGINT, &sa, &oint);

	console_raw();
	fprintf(stderr, "Connected to the console of %s. Type %c. at the "
	    "start of a line to detach.\r\n", name, CONSOLE_ESCAPE);

	while (!detach && console_signal == 0) {
		now = mono_now();
		timeout = -1;
		if (stdin_eof) {
			if (now >= drain_end || now >= idle_end)
				break;
			timeout = (int)(((drain_end < idle_end ? drain_end :
			    idle_end) - now) * 1000) + 1;
		}
		pfd[0].fd = stdin_eof ? -1 : STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = fd;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, timeout) == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(cause, "poll: %s", strerror(errno));
			ret = -1;
			break;
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, buf, sizeof buf);
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				if (!stdin_eof)
					fprintf(stderr, "\r\n[%s: the console "
					    "was closed by the agent]\r\n",
					    name);
				break;
			}
			if (console_write_all(STDOUT_FILENO, buf, n) == -1)
				break;
			idle_end = mono_now() + CONSOLE_DRAIN_IDLE;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(STDIN_FILENO, in, sizeof in);
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				/* EOF: let the agent see it, then drain. */
				stdin_eof = 1;
				shutdown(fd, SHUT_WR);
				now = mono_now();
				drain_end = now + CONSOLE_DRAIN_MAX;
				idle_end = now + CONSOLE_DRAIN_IDLE;
				continue;
			}
			detach = console_filter(in, n, out, &outlen, &bol,
			    &esc);
			if (outlen > 0 &&
			    console_write_all(fd, out, outlen) == -1) {
				xasprintf(cause, "%s: console connection "
				    "lost: %s", name, strerror(errno));
				ret = -1;
				break;
			}
		}
	}

	console_restore();
	sigaction(SIGTERM, &oterm, NULL);
	sigaction(SIGHUP, &ohup, NULL);
	sigaction(SIGINT, &oint, NULL);
	if (detach)
		fprintf(stderr, "\n[%s: detached]\n", name);
	return (ret);
}
