/* FreeBSD specifics of the agent. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/sysctl.h>
#include <sys/ucred.h>
#include <sys/un.h>
#include <sys/user.h>

#include <errno.h>
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

/*
 * Is pid a running process?  kill(pid, 0) also succeeds for a zombie (an
 * orphaned hypervisor that nobody reaped yet): ask for its state.
 */
int
platform_pid_alive(pid_t pid)
{
	struct kinfo_proc	kp;
	size_t			len = sizeof kp;
	int			mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PID,
				    (int)pid };

	if (pid <= 0)
		return (0);
	if (sysctl(mib, 4, &kp, &len, NULL, 0) == -1)
		return (errno != ESRCH);
	if (len < sizeof kp)
		return (0);	/* no such process */
	return (kp.ki_stat != SZOMB);
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
