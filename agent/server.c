/*
 * The agent's UNIX socket: accept clients, check their credentials, frame
 * their requests, queue replies and events without ever blocking.  A
 * client that does not read its replies is dropped once AGENT_CLIENT_OUT_MAX
 * bytes are pending.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "jline.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define ACCESS_NONE	0
#define ACCESS_READONLY	1
#define ACCESS_FULL	2

struct client {
	struct jline		*jl;
	int			 fd;
	uid_t			 uid;
	gid_t			 gid;
	pid_t			 pid;
	int			 access;
	int			 subscribed;
	int			 hello;
	struct event		*ev_drop;	/* dropped, freed from here */
	TAILQ_ENTRY(client)	 entry;
};
static TAILQ_HEAD(, client) clients = TAILQ_HEAD_INITIALIZER(clients);
static int		 nclients;
static int		 listen_fd = -1;
static struct event	*ev_accept;
static char		*socket_path;
static gid_t		 full_gid = (gid_t)-1, ro_gid = (gid_t)-1;
static int		 nrefused;	/* refused, not closed yet */
#define SERVER_REFUSED_MAX	64	/* more are closed at once */
#define SERVER_REFUSED_WAIT	2	/* seconds, then closed */
#define SERVER_REFUSED_READS	16	/* reads, then closed */

static void	client_free(struct client *);

static int
server_in_group(uid_t uid, gid_t gid, gid_t want)
{
	struct passwd	*pw;
	gid_t		 groups[256];
	int		 n = 256, i;

	if (want == (gid_t)-1)
		return (0);
	if (gid == want)
		return (1);
	if ((pw = getpwuid(uid)) == NULL)
		return (0);
	if (getgrouplist(pw->pw_name, pw->pw_gid, (void *)groups, &n) == -1)
		return (0);
	for (i = 0; i < n; i++) {
		if (groups[i] == want)
			return (1);
	}
	return (0);
}

static void
client_line_cb(struct jline *jl, const char *line, size_t len, void *arg)
{
	struct client		*c = arg;
	json_t			*req, *id = NULL;
	enum proto_cmd		 cmd;
	enum proto_error	 err;
	char			*msg = NULL;
	int			 legacy = 0;

	if (len == 0 || c->ev_drop != NULL)
		return;		/* blank lines are ignored */
	req = proto_request_parse(line, len, &cmd, &legacy, &err, &msg, &id);
	if (req == NULL) {
		client_reply_error(c, id, err, "%s", msg);
		free(msg);
		json_decref(id);
		return;
	}
	if (legacy)
		cmd_legacy(c, req, c->access == ACCESS_READONLY);
	else
		cmd_dispatch(c, cmd, req, c->access == ACCESS_READONLY);
	json_decref(req);
}

static void
client_close_cb(struct jline *jl, const char *why, void *arg)
{
	struct client	*c = arg;

	if (strcmp(why, "line too long") == 0) {
		/* Tell them why, then close. */
		json_t	*r = proto_reply_error(NULL, ERR_LINE_TOO_LONG,
		    "request line longer than %d bytes; connection closed",
		    PROTO_LINE_MAX);

		jline_send(jl, r);
		json_decref(r);
		jline_close_after_flush(jl);
		return;
	}
	log_debug("client %ld (uid %ld): %s", (long)c->pid, (long)c->uid,
	    why);
	client_free(c);
}

static void
client_free(struct client *c)
{
	if (c->ev_drop != NULL)
		event_free(c->ev_drop);
	TAILQ_REMOVE(&clients, c, entry);
	nclients--;
	cmd_client_gone(c);
	jline_free(c->jl);
	free(c);
}

/* A refused client: read (and drop) what it sends until it closes. */
static void
server_refused_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	 tv = { SERVER_REFUSED_WAIT, 0 };
	intptr_t	 left = (intptr_t)arg;
	char		 buf[4096];
	ssize_t		 n;

	if ((what & EV_READ) && left > 0) {
		n = read(fd, buf, sizeof buf);
		if ((n > 0 || (n == -1 && (errno == EAGAIN ||
		    errno == EINTR))) && event_base_once(agent->base, fd,
		    EV_READ | EV_TIMEOUT, server_refused_cb,
		    (void *)(left - 1), &tv) == 0)
			return;
	}
	close(fd);
	nrefused--;
}

static void
server_refuse(int fd, const char *fmt, ...)
{
	struct timeval	 tv = { SERVER_REFUSED_WAIT, 0 };
	json_t		*r;
	char		*s, *msg;
	size_t		 len;
	va_list		 ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	r = proto_reply_error(NULL, ERR_PERMISSION, "%s", msg);
	s = proto_dump(r, &len);
	if (write(fd, s, len) == -1)
		log_debug("refusing client: %s", strerror(errno));
	free(s);
	free(msg);
	json_decref(r);
	/*
	 * Closing at once would fail the client's first write (EPIPE) before
	 * it reads the reason: end our side and linger a little, reading
	 * what it sends, then close.
	 */
	if (nrefused >= SERVER_REFUSED_MAX || shutdown(fd, SHUT_WR) == -1 ||
	    event_base_once(agent->base, fd, EV_READ | EV_TIMEOUT,
	    server_refused_cb, (void *)(intptr_t)SERVER_REFUSED_READS,
	    &tv) == -1) {
		close(fd);
		return;
	}
	nrefused++;
}

static void
server_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct client	*c;
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 pid;
	int		 fd, access;

	if ((fd = accept(lfd, NULL, NULL)) == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	fd_cloexec(fd);
	fd_nonblock(fd);
	if (platform_peer_creds(fd, &uid, &gid, &pid) == -1) {
		log_warn("peer credentials");
		close(fd);
		return;
	}
	if (uid == 0 || uid == geteuid() ||
	    server_in_group(uid, gid, full_gid))
		access = ACCESS_FULL;
	else if (server_in_group(uid, gid, ro_gid))
		access = ACCESS_READONLY;
	else {
		log_info("refused client uid %ld pid %ld", (long)uid,
		    (long)pid);
		server_refuse(fd, "uid %ld may not use anlasser-agent: ask "
		    "for membership of the socket_group or readonly_group "
		    "set in anlasser.conf", (long)uid);
		return;
	}
	if (nclients >= AGENT_MAX_CLIENTS) {
		server_refuse(fd, "too many clients (%d)", AGENT_MAX_CLIENTS);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->uid = uid;
	c->gid = gid;
	c->pid = pid;
	c->access = access;
	c->jl = jline_new(agent->base, fd, PROTO_LINE_MAX, client_line_cb,
	    client_close_cb, c);
	c->jl->out_max = AGENT_CLIENT_OUT_MAX;
	TAILQ_INSERT_TAIL(&clients, c, entry);
	nclients++;
}

static gid_t
server_group(const char *name)
{
	struct group	*gr;

	if (name == NULL || *name == '\0')
		return ((gid_t)-1);
	if ((gr = getgrnam(name)) == NULL) {
		log_warnx("group %s does not exist; ignored", name);
		return ((gid_t)-1);
	}
	return (gr->gr_gid);
}

/*
 * Update the groups after a reload.  connect(2) needs write permission
 * on the socket, and members of the readonly_group are not in the
 * socket's group: with a readonly_group the socket is 0666 and the peer
 * credentials alone decide (everyone else is refused with a message).
 */
static void
server_set_groups(const struct agent_conf *ac)
{
	full_gid = server_group(ac->socket_group);
	ro_gid = server_group(ac->readonly_group);
	if (socket_path == NULL)
		return;
	if (full_gid != (gid_t)-1 &&
	    chown(socket_path, 0, full_gid) == -1 && geteuid() == 0)
		log_warn("chown %s", socket_path);
	if (chmod(socket_path, ro_gid != (gid_t)-1 ? 0666 : 0660) == -1)
		log_warn("chmod %s", socket_path);
}

int
server_listen(const char *path, const struct agent_conf *ac)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd, tmp;

	if (listen_fd != -1) {
		server_set_groups(ac);
		return (0);
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof sun.sun_path) >=
	    sizeof sun.sun_path) {
		log_warnx("socket path %s is too long (at most %zu bytes)",
		    path, sizeof sun.sun_path - 1);
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		fatal("socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
		log_warnx("another agent is already listening on %s", path);
		close(fd);
		return (-1);
	}
	close(fd);
	unlink(path);
	/*
	 * Bind a temporary name and rename it into place once listening:
	 * a client that sees the socket can connect (no ECONNREFUSED
	 * between bind and listen).
	 */
	tmp = snprintf(sun.sun_path, sizeof sun.sun_path, "%s.%ld", path,
	    (long)getpid()) < (int)sizeof sun.sun_path;
	if (!tmp)
		strlcpy(sun.sun_path, path, sizeof sun.sun_path);
	unlink(sun.sun_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		fatal("socket");
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		umask(old);
		log_warn("bind %s", sun.sun_path);
		close(fd);
		return (-1);
	}
	umask(old);
	if (chmod(sun.sun_path, 0660) == -1)
		log_warn("chmod %s", sun.sun_path);
	/* Room for a burst of clients (capped by the kernel). */
	if (listen(fd, AGENT_MAX_CLIENTS) == -1)
		fatal("listen");
	if (tmp && rename(sun.sun_path, path) == -1) {
		log_warn("rename %s to %s", sun.sun_path, path);
		unlink(sun.sun_path);
		close(fd);
		return (-1);
	}
	fd_cloexec(fd);
	fd_nonblock(fd);
	listen_fd = fd;
	socket_path = xstrdup(path);
	server_set_groups(ac);
	ev_accept = event_new(agent->base, fd, EV_READ | EV_PERSIST,
	    server_accept_cb, NULL);
	event_add(ev_accept, NULL);
	return (0);
}

void
server_close(void)
{
	if (listen_fd == -1)
		return;
	event_free(ev_accept);
	close(listen_fd);
	unlink(socket_path);
	listen_fd = -1;
}

static void
client_drop_cb(evutil_socket_t fd, short what, void *arg)
{
	client_free(arg);
}

/*
 * Queue a message.  A client over its limit is dropped, but freed only
 * from the event loop: the callers (command handlers, broadcasts inside
 * them, waiter lists being walked) still hold the pointer.
 */
int
client_send(struct client *c, const json_t *msg)
{
	struct timeval	tv = { 0, 0 };

	if (c->ev_drop != NULL || c->jl->closing || c->jl->raw)
		return (-1);	/* a console stream: no JSON any more */
	if (jline_send(c->jl, msg) == -1) {
		log_warnx("client %ld (uid %ld) does not read its replies; "
		    "dropped", (long)c->pid, (long)c->uid);
		jline_pause(c->jl, 1);
		c->ev_drop = evtimer_new(agent->base, client_drop_cb, c);
		evtimer_add(c->ev_drop, &tv);
		return (-1);
	}
	return (0);
}

void
server_broadcast(const json_t *ev)
{
	struct client	*c, *next;

	TAILQ_FOREACH_SAFE(c, &clients, entry, next) {
		if (c->subscribed)
			client_send(c, ev);
	}
}

/* The connection, for the console relay (cmd-console.c). */
struct jline *
client_jline(struct client *c)
{
	return (c->jl);
}

/* Close a client now (a console client that does not read). */
void
client_drop(struct client *c)
{
	client_free(c);
}

void
client_subscribe(struct client *c)
{
	c->subscribed = 1;
}

int
client_is_root(struct client *c)
{
	return (c->uid == 0);
}

uid_t
client_uid(struct client *c)
{
	return (c->uid);
}

gid_t
client_gid(struct client *c)
{
	return (c->gid);
}

void
client_reply_ok(struct client *c, json_t *id, json_t *result)
{
	json_t	*r;

	r = proto_reply_ok(id, result);
	client_send(c, r);
	json_decref(r);
}

void
client_reply_error(struct client *c, json_t *id, enum proto_error err,
    const char *fmt, ...)
{
	json_t	*r;
	char	*msg;
	va_list	 ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	r = proto_reply_error(id, err, "%s", msg);
	free(msg);
	client_send(c, r);
	json_decref(r);
}
