/* Linux specifics of the agent. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

/* Peer credentials of a UNIX socket: SO_PEERCRED. */
int
platform_peer_creds(int fd, uid_t *uid, gid_t *gid, pid_t *pid)
{
	struct ucred	cred;
	socklen_t	len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return (-1);
	*uid = cred.uid;
	*gid = cred.gid;
	*pid = cred.pid;
	return (0);
}

/*
 * The host's shutdown budget: on Linux the service manager's stop timeout
 * (contrib/systemd sets TimeoutStopSec from the VMs); nothing to read here.
 */
void
platform_check_shutdown_budget(void)
{
}

/*
 * Is pid a running process?  kill(pid, 0) also succeeds for a zombie (an
 * orphaned hypervisor that nobody reaped yet): /proc/PID/stat tells.
 */
int
platform_pid_alive(pid_t pid)
{
	char	 path[64], buf[512], *p;
	FILE	*fp;
	int	 alive = 1;

	if (pid <= 0 || (kill(pid, 0) == -1 && errno != EPERM))
		return (0);
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL) {
		/* Gone since kill(), unless there is no /proc at all. */
		return (errno != ENOENT ||
		    access("/proc/self/stat", F_OK) == -1);
	}
	if (fgets(buf, sizeof buf, fp) != NULL &&
	    (p = strrchr(buf, ')')) != NULL && p[1] == ' ')
		alive = p[2] != 'Z' && p[2] != 'X';
	fclose(fp);
	return (alive);
}
