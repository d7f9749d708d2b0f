/*
 * com1 on FreeBSD: a named nmdm(4) pair.  bhyve gets the A side, the
 * monitor holds the B side for the life of the VM, so output is read
 * even while nobody watches and across guest reboots.  Opening B makes
 * the pair (nmdm.ko must be loaded).  Raw mode and CLOCAL on B, so
 * bhyve closing A at a reboot does not hang up our side.
 *
 * ANLASSER_NMDM_DIR replaces /dev (a test hook).
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

static const char *
console_nmdm_dir(void)
{
	const char	*d = getenv(CONSOLE_NMDM_ENV);

	return (d != NULL && *d != '\0' ? d : "/dev");
}

char *
console_tty_path(struct mon *mon)
{
	char	*p;

	xasprintf(&p, "%s/nmdm-%s-1A", console_nmdm_dir(), mon->name);
	return (p);
}

int
console_tty_open(struct mon *mon, char **cause)
{
	struct termios	 t;
	char		*path;
	int		 fd;

	xasprintf(&path, "%s/nmdm-%s-1B", console_nmdm_dir(), mon->name);
	fd = open(path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1) {
		xasprintf(cause, "%s: cannot open the console %s: %s (is "
		    "nmdm.ko loaded?  kldload nmdm, or set console = no)",
		    mon->name, path, strerror(errno));
		free(path);
		return (-1);
	}
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cflag |= CLOCAL;
		tcsetattr(fd, TCSANOW, &t);
	}
	free(path);
	return (fd);
}

void
console_tty_close(struct mon *mon)
{
	/* The pair goes away when both sides are closed. */
}
