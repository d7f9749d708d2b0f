/*
 * com1 where there is no nmdm(4) (Linux, running the bhyve driver
 * against the tool doubles): a pseudo-terminal stands in for the pair.
 * The monitor holds the master as the B side and links the slave as
 * DIR/nmdm-NAME-1A, the path bhyve gets; DIR is ANLASSER_NMDM_DIR or
 * the run directory.  The monitor also keeps the slave open, so the
 * master does not report a hang-up between two runs of bhyve.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"
#include "monitor.h"
#include "util.h"
#include "xmalloc.h"

static int	 pty_slave = -1;
static char	*pty_link;
static char	*pty_name;	/* what the link points to */

char *
console_tty_path(struct mon *mon)
{
	const char	*d = getenv(CONSOLE_NMDM_ENV);
	char		*p;

	xasprintf(&p, "%s/nmdm-%s-1A", d != NULL && *d != '\0' ? d :
	    mon->rundir, mon->name);
	return (p);
}

int
console_tty_open(struct mon *mon, char **cause)
{
	struct termios	 t;
	const char	*name;
	char		*link;
	int		 fd, s;

	if ((fd = posix_openpt(O_RDWR | O_NOCTTY)) == -1) {
		xasprintf(cause, "%s: cannot make a pseudo-terminal for the "
		    "console: %s", mon->name, strerror(errno));
		return (-1);
	}
	fd_cloexec(fd);
	if (grantpt(fd) == -1 || unlockpt(fd) == -1 ||
	    (name = ptsname(fd)) == NULL ||
	    (s = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		xasprintf(cause, "%s: cannot open the console "
		    "pseudo-terminal: %s", mon->name, strerror(errno));
		close(fd);
		return (-1);
	}
	if (tcgetattr(s, &t) == 0) {
		cfmakeraw(&t);
		t.c_cflag |= CLOCAL;
		tcsetattr(s, TCSANOW, &t);
	}
	link = console_tty_path(mon);
	unlink(link);
	if (symlink(name, link) == -1) {
		xasprintf(cause, "%s: cannot link the console %s to %s: %s",
		    mon->name, link, name, strerror(errno));
		free(link);
		close(s);
		close(fd);
		return (-1);
	}
	fd_nonblock(fd);
	pty_slave = s;
	pty_link = link;
	pty_name = xstrdup(name);
	return (fd);
}

void
console_tty_close(struct mon *mon)
{
	char	buf[256];
	ssize_t	n;

	/* Unless the next monitor of this VM has made its own already. */
	if (pty_link != NULL) {
		n = readlink(pty_link, buf, sizeof buf - 1);
		if (n >= 0) {
			buf[n] = '\0';
			if (strcmp(buf, pty_name) == 0)
				unlink(pty_link);
		}
		free(pty_link);
		free(pty_name);
		pty_link = pty_name = NULL;
	}
	if (pty_slave != -1) {
		close(pty_slave);
		pty_slave = -1;
	}
}
