/* FreeBSD specifics of the agent. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/ucred.h>
#include <sys/un.h>

#include <unistd.h>

#include "agent.h"

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
