/*
 * The VNC connection (vnc.h): our own non-blocking connect and greeting
 * wait (so a busy or dead server never blocks the TUI), then
 * libvncclient for the handshake, decoding and key events.
 *
 * Pixel format: 32 bpp with red at bit 16, green 8, blue 0, which is
 * bhyve's native format (bhyve ignores SetPixelFormat); QEMU honours
 * SetPixelFormat, so the same request is right for both.  Encodings
 * "zlib raw": the only ones bhyve implements; QEMU has both.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rfb/rfbclient.h>

#include "compat.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"
#include "vnc.h"

struct vnc {
	enum vnc_state	 state;
	int		 fd;
	char		*host;
	int		 port;
	char		*password;
	int		 asked;		/* the server wanted a password */
	int		 authfail;	/* ... and had none, or refused it */
	struct addrinfo	*ai0, *ai;	/* addresses, the one tried */
	double		 deadline;	/* mono_now() */
	char		*error;
	int		 busy;
	rfbClient	*cl;
	unsigned long	 updates;
};

static int	vnc_tag;	/* rfbClientSetClientData key */
static char	vnc_last_log[256];

static void
vnc_logf(const char *fmt, ...)
{
	va_list	ap;
	size_t	len;

	va_start(ap, fmt);
	vsnprintf(vnc_last_log, sizeof vnc_last_log, fmt, ap);
	va_end(ap);
	len = strlen(vnc_last_log);
	while (len > 0 && (vnc_last_log[len - 1] == '\n' ||
	    vnc_last_log[len - 1] == '\r'))
		vnc_last_log[--len] = '\0';
	log_debug("vnc: %s", vnc_last_log);
}

void
vnc_log_init(void)
{
	rfbClientLog = vnc_logf;
	rfbClientErr = vnc_logf;
}

static int
vnc_fail(struct vnc *v, int busy, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
vnc_fail(struct vnc *v, int busy, const char *fmt, ...)
{
	va_list	ap;

	free(v->error);
	va_start(ap, fmt);
	if (vasprintf(&v->error, fmt, ap) == -1)
		v->error = NULL;
	va_end(ap);
	v->busy = busy;
	v->state = VNC_FAILED;
	if (v->cl != NULL) {
		free(v->cl->frameBuffer);
		v->cl->frameBuffer = NULL;
		rfbClientCleanup(v->cl);	/* closes the socket */
		v->cl = NULL;
		v->fd = -1;
	}
	if (v->fd != -1) {
		close(v->fd);
		v->fd = -1;
	}
	return (-1);
}

/* Start a connect to the next address; -1 when none is left. */
static int
vnc_connect_next(struct vnc *v)
{
	int	fd, saved = 0;

	for (; v->ai != NULL; v->ai = v->ai->ai_next) {
		fd = socket(v->ai->ai_family, v->ai->ai_socktype,
		    v->ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) ==
		    -1 || fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
			saved = errno;
			close(fd);
			continue;
		}
		if (connect(fd, v->ai->ai_addr, v->ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			v->fd = fd;
			v->state = VNC_CONNECTING;
			return (0);
		}
		saved = errno;
		close(fd);
	}
	return (vnc_fail(v, 0, "VNC %s:%d: %s", v->host, v->port,
	    strerror(saved != 0 ? saved : ECONNREFUSED)));
}

struct vnc *
vnc_new(const char *host, int port, const char *password)
{
	struct vnc	*v;
	struct addrinfo	 hints;
	char		 serv[16];
	int		 rc;

	v = xcalloc(1, sizeof *v);
	v->fd = -1;
	v->host = xstrdup(host);
	v->port = port;
	v->password = password != NULL ? xstrdup(password) : NULL;
	v->deadline = mono_now() + VNC_CONNECT_TIMEOUT / 1000.0;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(serv, sizeof serv, "%d", port);
	if ((rc = getaddrinfo(host, serv, &hints, &v->ai0)) != 0) {
		vnc_fail(v, 0, "VNC %s: %s", host, gai_strerror(rc));
		return (v);
	}
	v->ai = v->ai0;
	vnc_connect_next(v);
	return (v);
}

void
vnc_free(struct vnc *v)
{
	if (v == NULL)
		return;
	if (v->cl != NULL) {
		free(v->cl->frameBuffer);
		v->cl->frameBuffer = NULL;
		rfbClientCleanup(v->cl);
	} else if (v->fd != -1)
		close(v->fd);
	if (v->ai0 != NULL)
		freeaddrinfo(v->ai0);
	free(v->host);
	if (v->password != NULL)
		explicit_bzero(v->password, strlen(v->password));
	free(v->password);
	free(v->error);
	free(v);
}

enum vnc_state
vnc_state(const struct vnc *v)
{
	return (v->state);
}

const char *
vnc_error(const struct vnc *v)
{
	return (v->error);
}

int
vnc_busy(const struct vnc *v)
{
	return (v->busy);
}

int
vnc_auth_failed(const struct vnc *v)
{
	return (v->state == VNC_FAILED && v->authfail);
}

int
vnc_fd(const struct vnc *v)
{
	return (v->fd);
}

short
vnc_events(const struct vnc *v)
{
	switch (v->state) {
	case VNC_CONNECTING:
		return (POLLOUT);
	case VNC_GREETING:
	case VNC_UP:
		return (POLLIN);
	default:
		return (0);
	}
}

int
vnc_pending(const struct vnc *v)
{
	return (v->state == VNC_UP && v->cl != NULL && v->cl->buffered > 0);
}

int
vnc_timeout(const struct vnc *v)
{
	double	left;

	if (v->state != VNC_CONNECTING && v->state != VNC_GREETING)
		return (-1);
	left = (v->deadline - mono_now()) * 1000;
	return (left < 0 ? 0 : (int)left + 1);
}

static char *
vnc_get_password(rfbClient *cl)
{
	struct vnc	*v = rfbClientGetClientData(cl, &vnc_tag);

	v->asked = 1;
	/* libvncclient frees it; only 8 characters count (VNC auth). */
	return (v->password != NULL ? strdup(v->password) : NULL);
}

static void
vnc_got_rect(rfbClient *cl, int x, int y, int w, int h)
{
	(void)cl;
	(void)x;
	(void)y;
	(void)w;
	(void)h;
}

static void
vnc_finished(rfbClient *cl)
{
	struct vnc	*v = rfbClientGetClientData(cl, &vnc_tag);

	v->updates++;
}

/* The greeting is there: let libvncclient do the handshake. */
static int
vnc_handshake(struct vnc *v)
{
	rfbClient	*cl;

	cl = rfbGetClient(8, 3, 4);
	if (cl == NULL)
		return (vnc_fail(v, 0, "VNC: out of memory"));
	cl->format.bitsPerPixel = 32;
	cl->format.depth = 24;
	cl->format.trueColour = TRUE;
	cl->format.redMax = cl->format.greenMax = cl->format.blueMax = 255;
	cl->format.redShift = 16;
	cl->format.greenShift = 8;
	cl->format.blueShift = 0;
	cl->appData.encodingsString = "zlib raw";
	cl->appData.shareDesktop = TRUE;
	cl->canHandleNewFBSize = TRUE;
	cl->GetPassword = vnc_get_password;
	cl->GotFrameBufferUpdate = vnc_got_rect;
	cl->FinishedFrameBufferUpdate = vnc_finished;
	cl->readTimeout = VNC_READ_TIMEOUT;
	cl->connectTimeout = VNC_CONNECT_TIMEOUT / 1000;
	free(cl->serverHost);
	cl->serverHost = strdup(v->host);
	cl->serverPort = v->port;
	cl->sock = v->fd;
	rfbClientSetClientData(cl, &vnc_tag, v);
	v->cl = cl;
	vnc_last_log[0] = '\0';
	if (!InitialiseRFBConnection(cl)) {
		/* The server's answer to the password (not a lost line). */
		v->authfail = v->asked && (v->password == NULL ||
		    strstr(vnc_last_log, "uth") != NULL);
		if (v->asked && v->password == NULL)
			return (vnc_fail(v, 0, "VNC %s:%d wants a password "
			    "(set %s)", v->host, v->port, VNC_PASSWORD_ENV));
		if (v->authfail)
			return (vnc_fail(v, 0, "VNC %s:%d refused the password "
			    "(check %s or vnc_password in the VM's file; only "
			    "8 characters count)%s%s", v->host, v->port,
			    VNC_PASSWORD_ENV, vnc_last_log[0] != '\0' ? ": " :
			    "", vnc_last_log));
		return (vnc_fail(v, 0, "VNC %s:%d: handshake failed%s%s",
		    v->host, v->port, vnc_last_log[0] != '\0' ? ": " : "",
		    vnc_last_log));
	}
	cl->width = cl->si.framebufferWidth;
	cl->height = cl->si.framebufferHeight;
	if (!cl->MallocFrameBuffer(cl))
		return (vnc_fail(v, 0, "VNC: no memory for a %dx%d frame",
		    cl->width, cl->height));
	memset(cl->frameBuffer, 0, (size_t)cl->width * cl->height * 4);
	cl->updateRect.x = cl->updateRect.y = 0;
	cl->updateRect.w = cl->width;
	cl->updateRect.h = cl->height;
	if (!SetFormatAndEncodings(cl) ||
	    !SendFramebufferUpdateRequest(cl, 0, 0, cl->width, cl->height,
	    FALSE))
		return (vnc_fail(v, 0, "VNC %s:%d: connection lost", v->host,
		    v->port));
	v->state = VNC_UP;
	return (0);
}

int
vnc_step(struct vnc *v)
{
	struct pollfd	pfd;
	char		c;
	int		err, n;
	socklen_t	len = sizeof err;

	switch (v->state) {
	case VNC_CONNECTING:
		pfd.fd = v->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 0) == 1) {
			if (getsockopt(v->fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == -1)
				err = errno;
			if (err != 0) {
				close(v->fd);
				v->fd = -1;
				v->ai = v->ai->ai_next;
				if (v->ai == NULL)
					return (vnc_fail(v, 0, "VNC %s:%d: %s",
					    v->host, v->port, strerror(err)));
				return (vnc_connect_next(v));
			}
			v->state = VNC_GREETING;
			v->deadline = mono_now() + VNC_GREET_TIMEOUT / 1000.0;
			return (0);
		}
		if (mono_now() >= v->deadline)
			return (vnc_fail(v, 0, "VNC %s:%d: no connection in "
			    "%d s", v->host, v->port,
			    VNC_CONNECT_TIMEOUT / 1000));
		return (0);
	case VNC_GREETING:
		pfd.fd = v->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 1) {
			n = recv(v->fd, &c, 1, MSG_PEEK);
			if (n == 1)
				return (vnc_handshake(v));
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				return (vnc_fail(v, 0, "VNC %s:%d: the server "
				    "closed the connection", v->host,
				    v->port));
		}
		if (mono_now() >= v->deadline)
			return (vnc_fail(v, 1, "the VM's screen is in use by "
			    "another VNC viewer (%s:%d accepted the connection "
			    "but did not answer in %d s)", v->host, v->port,
			    VNC_GREET_TIMEOUT / 1000));
		return (0);
	case VNC_UP:
		do {
			pfd.fd = v->fd;
			pfd.events = POLLIN;
			if (v->cl->buffered == 0 && poll(&pfd, 1, 0) != 1)
				break;
			vnc_last_log[0] = '\0';
			if (HandleRFBServerMessage(v->cl))
				continue;
			/* libvncclient gave up waiting for the rest. */
			if (strstr(vnc_last_log, "timed out") != NULL)
				return (vnc_fail(v, 0, "VNC %s:%d stopped "
				    "answering in the middle of a message (%d "
				    "s)", v->host, v->port, VNC_READ_TIMEOUT));
			return (vnc_fail(v, 0, "VNC %s:%d: connection lost%s%s",
			    v->host, v->port, vnc_last_log[0] != '\0' ? ": " :
			    "", vnc_last_log));
		} while (v->cl->buffered > 0);
		return (0);
	default:
		return (-1);
	}
}

const uint32_t *
vnc_frame(const struct vnc *v, int *w, int *h)
{
	if (v->state != VNC_UP || v->cl->frameBuffer == NULL) {
		*w = *h = 0;
		return (NULL);
	}
	*w = v->cl->width;
	*h = v->cl->height;
	return ((const uint32_t *)(void *)v->cl->frameBuffer);
}

unsigned long
vnc_updates(const struct vnc *v)
{
	return (v->updates);
}

int
vnc_key(struct vnc *v, uint32_t keysym, int down)
{
	if (v->state != VNC_UP)
		return (-1);
	if (!SendKeyEvent(v->cl, keysym, down ? TRUE : FALSE))
		return (vnc_fail(v, 0, "VNC %s:%d: connection lost", v->host,
		    v->port));
	return (0);
}

int
vnc_wait(struct vnc *v, int (*done)(struct vnc *, void *), void *arg,
    int timeout_ms, char **cause)
{
	struct pollfd	pfd;
	double		end = mono_now() + timeout_ms / 1000.0, left;
	int		t, vt;

	for (;;) {
		if (v->state == VNC_FAILED) {
			*cause = xstrdup(v->error != NULL ? v->error :
			    "VNC failed");
			return (-1);
		}
		if (done(v, arg))
			return (0);
		left = end - mono_now();
		if (left <= 0) {
			*cause = xstrdup("timed out waiting for the VM's "
			    "screen");
			return (-1);
		}
		t = (int)(left * 1000) + 1;
		if ((vt = vnc_timeout(v)) >= 0 && vt < t)
			t = vt;
		/* done() may wait for quiet (no update): look again soon. */
		if (t > 50)
			t = 50;
		if (vnc_pending(v))
			t = 0;
		pfd.fd = v->fd;
		pfd.events = vnc_events(v);
		if (poll(&pfd, 1, t) == -1 && errno != EINTR) {
			*cause = xstrdup(strerror(errno));
			return (-1);
		}
		vnc_step(v);
	}
}
