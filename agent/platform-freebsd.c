/* FreeBSD specifics of the agent. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/ucred.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

/* Peer credentials of a UNIX socket: LOCAL_PEERCRED (pid), getpeereid. */
int
platform_peer_creds(int fd, uid_t *uid, gid_t *gid, pid_t *pid)
{
	struct xucred	xuc;
	socklen_t	len = sizeof xuc;

	*pid = -1;
	if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERCRED, &xuc, &len) == 0 &&
	    xuc.cr_version == XUCRED_VERSION) {
		*uid = xuc.cr_uid;
		*gid = xuc.cr_groups[0];
		*pid = xuc.cr_pid;
		return (0);
	}
	return (getpeereid(fd, uid, gid));
}

/* rcshutdown_timeout from rc.conf (the last assignment wins), default 90. */
static int
platform_rcshutdown_timeout(void)
{
	const char	*files[] = { "/etc/defaults/rc.conf", "/etc/rc.conf",
			    "/etc/rc.conf.local" };
	char		 line[512], *p;
	FILE		*fp;
	size_t		 i;
	int		 budget = 90;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		if ((fp = fopen(files[i], "r")) == NULL)
			continue;
		while (fgets(line, sizeof line, fp) != NULL) {
			p = line + strspn(line, " \t");
			if (strncmp(p, "rcshutdown_timeout=", 19) != 0)
				continue;
			p += 19;
			p += strspn(p, "\"'");
			budget = atoi(p);
		}
		fclose(fp);
	}
	return (budget);
}

/*
 * Warn when stopping every VM could take longer than rc.shutdown allows:
 * the host would then kill guests that were still shutting down.
 */
void
platform_check_shutdown_budget(void)
{
	struct vm	*vm, *longest = NULL;
	int		 budget;

	TAILQ_FOREACH(vm, &agent->vms, entry) {
		if (longest == NULL || vm->conf->shutdown_timeout >
		    longest->conf->shutdown_timeout)
			longest = vm;
	}
	budget = platform_rcshutdown_timeout();
	if (longest != NULL && budget > 0 &&
	    longest->conf->shutdown_timeout >= budget)
		log_warnx("%s: shutdown_timeout %d s is not below the host's "
		    "rcshutdown_timeout (%d s): raise rcshutdown_timeout in "
		    "rc.conf or lower shutdown_timeout, or the host may power "
		    "off before the guest has shut down", longest->name,
		    longest->conf->shutdown_timeout, budget);
}
