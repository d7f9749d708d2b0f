/* Linux specifics of the agent. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

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
