/*
 * The agent's console commands.
 *
 * console: the VM's monitor holds the console (console.c), so the agent
 * relays.  It opens a connection to RUNDIR/NAME.sock, asks for
 * {"cmd":"console"}, and once the monitor says ok it replies to the
 * client and both connections carry raw bytes: monitor to client, client
 * to monitor.  The client's reading is paused until then, so its next
 * bytes are console input, never requests.  A client that falls
 * RELAY_CLIENT_MAX bytes behind is dropped; nothing else waits for it.
 *
 * console-log: the end of LOG_DIR/NAME.console.log (and of the rotated
 * NAME.console.log.1 when that is not enough), cleaned up for reading:
 * escape sequences and control characters go, carriage returns and
 * backspaces overwrite as on a terminal.  It works while the VM is
 * stopped and after the agent restarted.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "agent.h"
#include "jline.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define RELAY_CLIENT_MAX	(1024 * 1024)	/* unread by the client */
#define RELAY_INPUT_MAX		(64 * 1024)	/* unsent to the monitor */
#define RELAY_ANSWER_WAIT	10		/* s for the monitor's ok */
#define RELAY_READ_CHUNK	(64 * 1024)	/* one read from it */

#define CONSOLE_LOG_LINES	50		/* default */
#define CONSOLE_LOG_MAX_LINES	10000
#define CONSOLE_LOG_READ	(512 * 1024)	/* from the end */
#define CONSOLE_LOG_REPLY	(60 * 1024)	/* < PROTO_LINE_MAX */
#define CONSOLE_LOG_LINE_MAX	4096		/* longer are cut */

struct relay {
	struct client		*client;
	struct jline		*mjl;		/* to the monitor */
	char			*name;
	json_t			*id;
	int			 ready;
	struct event		*ev_wait;
	TAILQ_ENTRY(relay)	 entry;
};
static TAILQ_HEAD(, relay) relays = TAILQ_HEAD_INITIALIZER(relays);

/* -------------------------------------------------------------- relay */

static struct relay *
relay_find(struct client *c)
{
	struct relay	*r;

	TAILQ_FOREACH(r, &relays, entry) {
		if (r->client == c)
			return (r);
	}
	return (NULL);
}

static void
relay_free(struct relay *r)
{
	TAILQ_REMOVE(&relays, r, entry);
	if (r->mjl != NULL)
		jline_free(r->mjl);
	if (r->ev_wait != NULL)
		event_free(r->ev_wait);
	json_decref(r->id);
	free(r->name);
	free(r);
}

/* Not attached after all: answer, and the client talks JSON again. */
static void
relay_fail(struct relay *r, enum proto_error code, const char *msg)
{
	struct client	*c = r->client;
	json_t		*id = json_incref(r->id);

	relay_free(r);
	jline_pause(client_jline(c), 0);
	client_reply_error(c, id, code, "%s", msg);
	json_decref(id);
}

void
cmd_console_client_gone(struct client *c)
{
	struct relay	*r;

	if ((r = relay_find(c)) != NULL)
		relay_free(r);
}

/* Console output from the monitor. */
static void
relay_output_cb(struct jline *jl, const char *buf, size_t len, void *arg)
{
	struct relay	*r = arg;

	if (jline_write(client_jline(r->client), buf, len) == 0)
		return;
	log_warnx("%s: a console client fell %d KiB behind; disconnected",
	    r->name, RELAY_CLIENT_MAX / 1024);
	client_drop(r->client);	/* frees r, through cmd_client_gone */
}

/* Input from the client. */
static void
relay_input_cb(struct jline *jl, const char *buf, size_t len, void *arg)
{
	struct relay	*r = relay_find(arg);

	if (r != NULL && r->mjl != NULL &&
	    jline_write(r->mjl, buf, len) == -1)
		log_debug("%s: console input dropped (monitor busy)", r->name);
}

static void
relay_ready(struct relay *r)
{
	struct client	*c = r->client;
	struct jline	*cjl = client_jline(c);
	json_t		*o;

	r->ready = 1;
	event_del(r->ev_wait);
	jline_set_raw(r->mjl, relay_output_cb);
	r->mjl->out_max = RELAY_INPUT_MAX;
	/* Keep up with the monitor, which reads the guest in big chunks. */
	bufferevent_set_max_single_read(r->mjl->bev, RELAY_READ_CHUNK);
	o = json_object();
	json_object_set_new(o, PF_NAME, json_string(r->name));
	/* Last: a client that does not read its replies is dropped here. */
	client_reply_ok(r->client, r->id, o);
	if (relay_find(c) == NULL)
		return;
	jline_set_raw(cjl, relay_input_cb);
	cjl->out_max = RELAY_CLIENT_MAX;
	jline_pause(cjl, 0);
}

/* The monitor's status line, then its answer to "console". */
static void
relay_line_cb(struct jline *jl, const char *line, size_t len, void *arg)
{
	struct relay	*r = arg;
	json_t		*o;
	const char	*msg;
	char		*s;

	if ((o = json_loadb(line, len, 0, NULL)) == NULL ||
	    json_object_get(o, PF_EVENT) != NULL) {
		json_decref(o);
		return;
	}
	if (json_is_true(json_object_get(o, PF_OK)))
		relay_ready(r);
	else {
		msg = json_string_value(json_object_get(o, PF_MESSAGE));
		xasprintf(&s, "%s: %s", r->name, msg != NULL ? msg :
		    "the monitor refused the console");
		relay_fail(r, ERR_FAILED, s);
		free(s);
	}
	json_decref(o);
}

static void
relay_close_cb(struct jline *jl, const char *why, void *arg)
{
	struct relay	*r = arg;
	struct jline	*cjl;
	char		*s;

	log_debug("%s: console link to the monitor: %s", r->name, why);
	jline_free(r->mjl);
	r->mjl = NULL;
	if (!r->ready) {
		xasprintf(&s, "%s: the monitor closed the console connection "
		    "(%s); the VM has probably stopped", r->name, why);
		relay_fail(r, ERR_NOT_RUNNING, s);
		free(s);
		return;
	}
	/* The VM stopped: the client gets what is queued, then EOF. */
	cjl = client_jline(r->client);
	relay_free(r);
	jline_close_after_flush(cjl);
}

static void
relay_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay	*r = arg;
	char		*s;

	xasprintf(&s, "%s: its monitor did not answer the console request "
	    "within %d s", r->name, RELAY_ANSWER_WAIT);
	relay_fail(r, ERR_FAILED, s);
	free(s);
}

/* A non-blocking connection to the VM's monitor, or -1 and *cause. */
static int
relay_connect(struct vm *vm, char **cause)
{
	struct sockaddr_un	 sun;
	char			*path;
	int			 fd;

	xasprintf(&path, "%s/%s.sock", agent->rundir, vm->name);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof sun.sun_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		xasprintf(cause, "%s: socket: %s", vm->name, strerror(errno));
		free(path);
		return (-1);
	}
	fd_cloexec(fd);
	fd_nonblock(fd);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1 &&
	    errno != EINPROGRESS) {
		xasprintf(cause, "%s: cannot reach its monitor at %s: %s",
		    vm->name, path, strerror(errno));
		close(fd);
		free(path);
		return (-1);
	}
	free(path);
	return (fd);
}

void
cmd_console(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	struct timeval	 tv = { RELAY_ANSWER_WAIT, 0 };
	struct relay	*r;
	json_t		*o;
	char		*cause = NULL;
	int		 fd;

	if (!vm->conf->console) {
		client_reply_error(c, id, ERR_FAILED, "%s has no serial "
		    "console (console = no in its configuration)", vm->name);
		return;
	}
	if (vm->state == VM_STOPPED || vm->state == VM_FAILED ||
	    vm->link == NULL) {
		client_reply_error(c, id, ERR_NOT_RUNNING, "%s is %s: its "
		    "console can be attached while it runs (console-log shows "
		    "what it wrote)", vm->name, proto_state_name(vm->state));
		return;
	}
	if (relay_find(c) != NULL) {
		client_reply_error(c, id, ERR_BUSY, "%s: this connection is "
		    "already attaching a console", vm->name);
		return;
	}
	if ((fd = relay_connect(vm, &cause)) == -1) {
		client_reply_error(c, id, ERR_FAILED, "%s", cause);
		free(cause);
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->client = c;
	r->name = xstrdup(vm->name);
	r->id = json_incref(id);
	r->mjl = jline_new(agent->base, fd, PROTO_LINE_MAX, relay_line_cb,
	    relay_close_cb, r);
	r->ev_wait = evtimer_new(agent->base, relay_wait_cb, r);
	evtimer_add(r->ev_wait, &tv);
	TAILQ_INSERT_TAIL(&relays, r, entry);

	o = json_object();
	json_object_set_new(o, PF_CMD, json_string("console"));
	jline_send(r->mjl, o);
	json_decref(o);
	/* What the client sends next is console input: hold it. */
	jline_pause(client_jline(c), 1);
}

/* -------------------------------------------------------- console-log */

/*
 * A line as a terminal would show it: escape sequences and control
 * characters removed, CR and BS move the column.  out has room for n.
 */
static size_t
console_clean(const char *in, size_t n, char *out)
{
	const unsigned char	*p = (const unsigned char *)in;
	size_t			 i, col = 0, len = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == 0x1b) {
			if (++i >= n)
				break;
			if (p[i] == '[') {		/* CSI ... final */
				while (i + 1 < n &&
				    (p[i + 1] < 0x40 || p[i + 1] > 0x7e))
					i++;
				i++;
			} else if (p[i] == ']') {	/* OSC ... BEL/ST */
				while (i + 1 < n && p[i + 1] != 0x07 &&
				    p[i + 1] != 0x1b)
					i++;
				i++;
				if (i < n && p[i] == 0x1b)
					i++;
			} else if (strchr("()*+#%", p[i]) != NULL)
				i++;			/* ESC ( B */
			continue;
		}
		if (p[i] == '\r') {
			col = 0;
			continue;
		}
		if (p[i] == '\b') {
			if (col > 0)
				col--;
			continue;
		}
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			continue;
		out[col++] = p[i];
		if (col > len)
			len = col;
	}
	return (len);
}

/* Up to max bytes from the end of path; *whole: the file's start too. */
static char *
console_log_read(const char *path, size_t max, size_t *len, int *whole)
{
	struct stat	 sb;
	char		*buf;
	off_t		 off;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	*len = 0;
	*whole = 1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return (NULL);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return (NULL);
	}
	off = sb.st_size > (off_t)max ? sb.st_size - (off_t)max : 0;
	*whole = off == 0;
	buf = xmalloc(sb.st_size - off + 1);
	while (got < (size_t)(sb.st_size - off) && (n = pread(fd, buf + got,
	    sb.st_size - off - got, off + got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	*len = got;
	return (buf);
}

/*
 * The text of the log's end: NAME.console.log, and before it the rotated
 * NAME.console.log.1, .2 ... while that is not enough for lines.
 */
static char *
console_log_text(const char *log, int lines, size_t *len, int *whole)
{
	char	*text, *old, *path, *both;
	size_t	 tlen, olen, i;
	int	 nl = 0, n, saved;

	text = console_log_read(log, CONSOLE_LOG_READ, &tlen, whole);
	saved = errno;
	for (n = 1; n <= 100 && *whole && tlen < CONSOLE_LOG_READ; n++) {
		for (i = 0, nl = 0; text != NULL && i < tlen; i++)
			nl += text[i] == '\n';
		if (nl > lines)
			break;
		xasprintf(&path, "%s.%d", log, n);
		old = console_log_read(path, CONSOLE_LOG_READ - tlen, &olen,
		    whole);
		free(path);
		if (old == NULL) {
			*whole = 1;
			break;
		}
		both = xmalloc(olen + tlen + 1);
		memcpy(both, old, olen);
		if (text != NULL)
			memcpy(both + olen, text, tlen);
		tlen += olen;
		both[tlen] = '\0';
		free(old);
		free(text);
		text = both;
	}
	*len = tlen;
	if (text == NULL)
		errno = saved;	/* about NAME.console.log */
	return (text);
}

/* The last lines of text, newest last, the reply kept under the limit. */
static json_t *
console_log_lines(char *text, size_t len, int whole, int lines)
{
	json_t	*a, *s;
	char	*p, *end, *start, *buf;
	size_t	 n, budget = CONSOLE_LOG_REPLY, enc;
	int	 count = 0;

	a = json_array();
	buf = xmalloc(len + 1);		/* room for any one line */
	end = text + len;
	if (len > 0 && end[-1] == '\n')
		end--;			/* no empty line after the last */
	while (count < lines && end > text) {
		for (start = end; start > text && start[-1] != '\n'; start--)
			;
		if (start == text && !whole)
			break;		/* the cut first line */
		n = console_clean(start, end - start, buf);
		if (n > CONSOLE_LOG_LINE_MAX)
			n = CONSOLE_LOG_LINE_MAX;
		buf[n] = '\0';
		/* A line of only escapes and CRs is not worth showing. */
		p = start;
		while (p < end && *p == '\r')
			p++;
		if (n > 0 || p == end) {
			s = proto_json_string(buf);
			p = json_dumps(s, JSON_ENCODE_ANY | JSON_COMPACT);
			enc = p != NULL ? strlen(p) + 1 : 0;
			free(p);
			if (enc > budget) {
				json_decref(s);
				break;
			}
			budget -= enc;
			json_array_insert_new(a, 0, s);
			count++;
		}
		end = start > text ? start - 1 : text;
	}
	free(buf);
	return (a);
}

void
cmd_console_log(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	json_t		*o, *t;
	char		*log, *text;
	const char	*dir;
	size_t		 len;
	int		 lines = CONSOLE_LOG_LINES, whole;

	t = json_object_get(req, PF_LINES);
	if (json_is_integer(t))
		lines = (int)json_integer_value(t);
	if (lines > CONSOLE_LOG_MAX_LINES)
		lines = CONSOLE_LOG_MAX_LINES;
	dir = agent->conf->agent.log_dir != NULL ?
	    agent->conf->agent.log_dir : "/var/log/anlasser";
	xasprintf(&log, "%s/%s.console.log", dir, vm->name);
	text = console_log_text(log, lines, &len, &whole);
	if (text == NULL && errno != ENOENT) {
		client_reply_error(c, id, ERR_FAILED, "%s: cannot read the "
		    "console log %s: %s", vm->name, log, strerror(errno));
		free(log);
		return;
	}
	free(log);
	if (text == NULL && !vm->conf->console) {
		client_reply_error(c, id, ERR_FAILED, "%s has no serial "
		    "console (console = no in its configuration)", vm->name);
		return;
	}
	o = json_object();
	json_object_set_new(o, PF_NAME, json_string(vm->name));
	json_object_set_new(o, PF_LINES, text != NULL ?
	    console_log_lines(text, len, whole, lines) : json_array());
	free(text);
	client_reply_ok(c, id, o);
}
