/*
 * The full screen's VNC connection runs in a thread of its own.
 *
 * libvncclient reads a whole server message before it returns: a server
 * that sends half a frame and stops (a stalled bhyve, a VM paused in
 * the middle of an update) holds the reader for up to readTimeout, and a
 * server that stops reading makes SendKeyEvent wait for as long as it
 * likes.  The terminal must never wait for that, so the worker thread
 * owns the struct vnc (vnc.c) and the curses thread only sees copies:
 * the state, the error and the last complete frame (copied once out of
 * libvncclient's buffer, then handed over by swapping buffers), taken
 * under a mutex when the notify pipe says something changed.  Keys go the other
 * way through a queue and the wake pipe.
 *
 * Closing never waits for a stuck server either: vnc_worker_free()
 * shuts the socket down (through a duplicate descriptor, so it is never
 * a descriptor the worker has already closed), which ends any read or
 * write in progress at once, and then joins the thread.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "util.h"
#include "xmalloc.h"
#include "vnc.h"

struct vnc_worker {
	pthread_t		 thread;
	int			 started;
	pthread_mutex_t		 mu;
	int			 wake[2];	/* curses -> worker */
	int			 notify[2];	/* worker -> curses */

	/* The worker's own; nobody else touches these. */
	struct vnc		*vnc;
	unsigned long		 copied;	/* vnc_updates() copied */

	/* Shared, under mu. */
	int			 quit;
	int			 kill_fd;	/* dup of the socket */
	struct vnc_keyev	*keys;
	size_t			 nkeys;
	struct vnc_view		 view;
	double			 step_since;	/* in a read since, or 0 */
};

static void
worker_notify(struct vnc_worker *w)
{
	char	c = 0;

	/* A full pipe is fine: a wakeup is pending anyway. */
	if (write(w->notify[1], &c, 1) == -1)
		return;
}

static void
worker_wake(struct vnc_worker *w)
{
	char	c = 0;

	if (write(w->wake[1], &c, 1) == -1)
		return;
}

static void
drain(int fd)
{
	char	buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
}

/* In a call that waits for the server since when (0: not). */
static void
worker_waiting(struct vnc_worker *w, double since)
{
	pthread_mutex_lock(&w->mu);
	w->step_since = since;
	pthread_mutex_unlock(&w->mu);
}

/* Keep a duplicate of the worker's socket for vnc_worker_free. */
static void
worker_track_fd(struct vnc_worker *w)
{
	int	fd = vnc_fd(w->vnc), old = -1;

	pthread_mutex_lock(&w->mu);
	if (w->kill_fd != -1) {
		old = w->kill_fd;
		w->kill_fd = -1;
	}
	if (fd != -1)
		w->kill_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	pthread_mutex_unlock(&w->mu);
	if (old != -1)
		close(old);
}

/* Copy what changed into the shared view; 1 if anything did. */
static int
worker_publish(struct vnc_worker *w)
{
	struct vnc_view	*vv = &w->view;
	const uint32_t	*px;
	const char	*err;
	size_t		 need;
	int		 fw, fh, changed = 0;

	pthread_mutex_lock(&w->mu);
	if (vv->state != vnc_state(w->vnc)) {
		vv->state = vnc_state(w->vnc);
		changed = 1;
	}
	if (vv->state == VNC_FAILED && vv->error == NULL) {
		err = vnc_error(w->vnc);
		vv->error = xstrdup(err != NULL ? err : "VNC failed");
		vv->busy = vnc_busy(w->vnc);
		vv->auth = vnc_auth_failed(w->vnc);
		changed = 1;
	}
	if (vnc_updates(w->vnc) != w->copied &&
	    (px = vnc_frame(w->vnc, &fw, &fh)) != NULL) {
		need = (size_t)fw * fh;
		if (need > vv->size) {
			vv->px = xreallocarray(vv->px, need, sizeof *vv->px);
			vv->size = need;
		}
		memcpy(vv->px, px, need * sizeof *px);
		vv->width = fw;
		vv->height = fh;
		vv->updates++;
		w->copied = vnc_updates(w->vnc);
		changed = 1;
	}
	pthread_mutex_unlock(&w->mu);
	return (changed);
}

static void *
worker_main(void *arg)
{
	struct vnc_worker	*w = arg;
	struct vnc_keyev	*keys;
	struct pollfd		 pfd[2];
	size_t			 nkeys, i;
	int			 fd = -1, t, connecting = 1;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		keys = w->keys;
		nkeys = w->nkeys;
		w->keys = NULL;
		w->nkeys = 0;
		if (w->quit) {
			pthread_mutex_unlock(&w->mu);
			free(keys);
			break;
		}
		pthread_mutex_unlock(&w->mu);

		/* A server that stops reading holds this write too. */
		if (nkeys > 0)
			worker_waiting(w, mono_now());
		for (i = 0; i < nkeys; i++)
			if (vnc_key(w->vnc, keys[i].keysym, keys[i].down) ==
			    -1)
				break;
		if (nkeys > 0)
			worker_waiting(w, 0);
		free(keys);

		/*
		 * A failed connect closes its socket and the next address's
		 * may get the same number: look again while connecting.
		 */
		if (vnc_fd(w->vnc) != fd || connecting) {
			fd = vnc_fd(w->vnc);
			worker_track_fd(w);
		}
		if (worker_publish(w))
			worker_notify(w);
		if (vnc_state(w->vnc) == VNC_FAILED)
			break;

		pfd[0].fd = w->wake[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = vnc_fd(w->vnc);
		pfd[1].events = vnc_events(w->vnc);
		pfd[0].revents = pfd[1].revents = 0;
		t = vnc_pending(w->vnc) ? 0 : vnc_timeout(w->vnc);
		if (poll(pfd, 2, t) == -1 && errno != EINTR) {
			/* Said on the screen, never on stderr (curses). */
			pthread_mutex_lock(&w->mu);
			free(w->view.error);
			xasprintf(&w->view.error, "VNC: poll: %s",
			    strerror(errno));
			w->view.state = VNC_FAILED;
			pthread_mutex_unlock(&w->mu);
			worker_notify(w);
			return (NULL);
		}
		if (pfd[0].revents & POLLIN)
			drain(w->wake[0]);
		if (pfd[1].revents == 0 && t != 0 &&
		    vnc_timeout(w->vnc) != 0)
			continue;
		connecting = vnc_state(w->vnc) == VNC_CONNECTING;
		worker_waiting(w, mono_now());
		vnc_step(w->vnc);
		worker_waiting(w, 0);
	}
	if (worker_publish(w))
		worker_notify(w);
	return (NULL);
}

static int
pipe_nb(int p[2])
{
	int	i;

	if (pipe(p) == -1)
		return (-1);
	for (i = 0; i < 2; i++)
		if (fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK) ==
		    -1 || fcntl(p[i], F_SETFD, FD_CLOEXEC) == -1)
			return (-1);
	return (0);
}

struct vnc_worker *
vnc_worker_new(const char *host, int port, const char *password)
{
	struct vnc_worker	*w;
	sigset_t		 all, old;
	int			 rc;

	w = xcalloc(1, sizeof *w);
	w->wake[0] = w->wake[1] = w->notify[0] = w->notify[1] = -1;
	w->kill_fd = -1;
	pthread_mutex_init(&w->mu, NULL);
	w->view.state = VNC_CONNECTING;
	w->vnc = vnc_new(host, port, password);
	if (pipe_nb(w->wake) == -1 || pipe_nb(w->notify) == -1) {
		w->view.state = VNC_FAILED;
		xasprintf(&w->view.error, "VNC: pipe: %s", strerror(errno));
		return (w);
	}
	/* Signals are the curses thread's (its poll must see them). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		w->view.state = VNC_FAILED;
		xasprintf(&w->view.error, "VNC: no thread: %s", strerror(rc));
		return (w);
	}
	w->started = 1;
	return (w);
}

void
vnc_worker_free(struct vnc_worker *w)
{
	int	i;

	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->quit = 1;
		if (w->kill_fd != -1)
			shutdown(w->kill_fd, SHUT_RDWR);
		pthread_mutex_unlock(&w->mu);
		worker_wake(w);
		pthread_join(w->thread, NULL);
	}
	if (w->kill_fd != -1)
		close(w->kill_fd);
	for (i = 0; i < 2; i++) {
		if (w->wake[i] != -1)
			close(w->wake[i]);
		if (w->notify[i] != -1)
			close(w->notify[i]);
	}
	vnc_free(w->vnc);
	pthread_mutex_destroy(&w->mu);
	free(w->keys);
	free(w->view.px);
	free(w->view.error);
	free(w);
}

int
vnc_worker_fd(const struct vnc_worker *w)
{
	return (w->notify[0]);
}

int
vnc_worker_sync(struct vnc_worker *w, struct vnc_view *out)
{
	struct vnc_view	*vv = &w->view;
	uint32_t	*px;
	size_t		 size;
	int		 frame = 0;

	if (w->notify[0] != -1)
		drain(w->notify[0]);
	pthread_mutex_lock(&w->mu);
	out->state = vv->state;
	out->busy = vv->busy;
	out->auth = vv->auth;
	if (vv->error != NULL && (out->error == NULL ||
	    strcmp(out->error, vv->error) != 0)) {
		free(out->error);
		out->error = xstrdup(vv->error);
	}
	/* A new frame: take it, and leave the old buffer for the next. */
	if (vv->updates != out->updates && vv->px != NULL) {
		px = out->px;
		size = out->size;
		out->px = vv->px;
		out->size = vv->size;
		vv->px = px;
		vv->size = size;
		out->width = vv->width;
		out->height = vv->height;
		out->updates = vv->updates;
		frame = 1;
	}
	out->step_since = w->step_since;
	pthread_mutex_unlock(&w->mu);
	return (frame);
}

void
vnc_view_free(struct vnc_view *vv)
{
	free(vv->px);
	free(vv->error);
	memset(vv, 0, sizeof *vv);
}

void
vnc_worker_keys(struct vnc_worker *w, const struct vnc_keyev *ev, size_t n)
{
	if (n == 0 || !w->started)
		return;
	pthread_mutex_lock(&w->mu);
	w->keys = xreallocarray(w->keys, w->nkeys + n, sizeof *w->keys);
	memcpy(w->keys + w->nkeys, ev, n * sizeof *ev);
	w->nkeys += n;
	pthread_mutex_unlock(&w->mu);
	worker_wake(w);
}
