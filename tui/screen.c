/*
 * The full screen: curses set-up and teardown, the one event loop
 * (poll on the terminal, the agent socket and a timer), the agent
 * connection with its reconnect timer, the view stack and key dispatch.
 * Everything redraws once per loop pass, and only when something changed.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"
#include "tui.h"

#define SCREEN_RETRY_MIN	1.0	/* s between reconnects, doubling */
#define SCREEN_RETRY_MAX	10.0
#define SCREEN_MSG_TIME		8.0	/* s an information stays */
#define SCREEN_CONNECT_TIMEOUT	3000	/* ms */

static volatile sig_atomic_t	screen_signal;
static int			screen_curses;

static void	screen_connect(struct screen *);

static void
screen_signal_cb(int sig)
{
	screen_signal = sig;
}

/* Put the terminal back; safe to call more than once. */
static void
screen_end(void)
{
	if (screen_curses) {
		endwin();
		screen_curses = 0;
	}
	console_restore();
}

const struct view *
screen_top(struct screen *s)
{
	return (s->stack[s->nstack - 1]);
}

void
screen_push(struct screen *s, const struct view *v)
{
	if (s->nstack < SCREEN_MAXVIEWS)
		s->stack[s->nstack++] = v;
	s->dirty = 1;
}

void
screen_pop(struct screen *s)
{
	if (s->nstack > 1)
		s->nstack--;
	s->dirty = 1;
}

const char *
screen_target(struct screen *s)
{
	int	i;

	for (i = s->nstack - 1; i >= 0; i--) {
		if (s->stack[i] == &view_detail)
			return (s->detail);
		if (s->stack[i] == &view_list)
			break;
	}
	return (s->sel);
}

void
screen_message(struct screen *s, int error, const char *fmt, ...)
{
	va_list	ap;

	free(s->msg);
	va_start(ap, fmt);
	if (vasprintf(&s->msg, fmt, ap) == -1)
		s->msg = NULL;
	va_end(ap);
	s->msg_error = error;
	s->msg_until = error ? 0 : mono_now() + SCREEN_MSG_TIME;
	s->dirty = 1;
}

void
screen_redraw(struct screen *s)
{
	clearok(curscr, TRUE);
	s->dirty = 1;
}

void
screen_quit(struct screen *s)
{
	s->quit = 1;
}

void
screen_help(struct screen *s)
{
	s->help_of = screen_top(s);
	s->help_scroll = 0;
	screen_push(s, &view_help);
}

long
screen_send(struct screen *s, json_t *req, client_reply_cb *cb, void *arg)
{
	if (s->client == NULL || !s->up) {
		json_decref(req);
		if (cb != NULL)
			cb(NULL, NULL, arg);	/* lets it free arg */
		screen_message(s, 1, "not connected to the agent");
		return (-1);
	}
	return (client_send(s->client, req, cb, arg));
}

/* ------------------------------------------------------- the connection */

static void
screen_lost(struct screen *s, const char *why)
{
	char	*copy = xstrdup(why != NULL ? why : "connection lost");

	free(s->conn_error);
	s->conn_error = copy;
	client_free(s->client);
	s->client = NULL;
	s->up = 0;
	s->drop = 0;
	s->retry_at = mono_now() + s->retry_delay;
	screen_message(s, 1, "%s; trying again in %.0f s", s->conn_error,
	    s->retry_delay);
	s->retry_delay *= 2;
	if (s->retry_delay > SCREEN_RETRY_MAX)
		s->retry_delay = SCREEN_RETRY_MAX;
}

static void
screen_event_cb(struct client *c, json_t *ev, void *arg)
{
	struct screen	*s = arg;
	json_t		*vm;
	const char	*what, *name;
	char		*cause;

	what = json_string_value(json_object_get(ev, PF_EVENT));
	if (what == NULL)
		return;
	if (strcmp(what, PROTO_EV_STATE) == 0 ||
	    strcmp(what, PROTO_EV_ADDED) == 0) {
		/* {"event": E, "vm": {...}}, or the VM's fields inline. */
		if ((vm = json_object_get(ev, PF_VM)) == NULL)
			vm = ev;
		if (model_update(&s->model, vm, mono_now(), &cause) == -1) {
			screen_message(s, 1, "bad event from the agent: %s",
			    cause);
			free(cause);
		}
	} else if (strcmp(what, PROTO_EV_REMOVED) == 0) {
		name = json_string_value(json_object_get(ev, PF_NAME));
		if (name != NULL)
			model_remove(&s->model, name);
	} else
		return;
	list_fix_selection(s);
	s->dirty = 1;
}

static void
screen_list_cb(struct client *c, json_t *reply, void *arg)
{
	struct screen	*s = arg;
	json_t		*result;
	const char	*code, *message;
	char		*cause;

	if (reply == NULL)
		return;
	if (!client_reply_ok(reply, &result, &code, &message)) {
		screen_message(s, 1, "list: %s", message);
		return;
	}
	if (model_set_list(&s->model, json_object_get(result, PF_VMS),
	    mono_now(), &cause) == -1) {
		screen_message(s, 1, "bad list from the agent: %s", cause);
		free(cause);
	}
	s->up = 1;
	s->retry_delay = SCREEN_RETRY_MIN;
	list_fix_selection(s);
	s->dirty = 1;
}

static void
screen_hello_cb(struct client *c, json_t *reply, void *arg)
{
	struct screen	*s = arg;
	const char	*code, *message;

	if (reply == NULL)
		return;
	if (!client_reply_ok(reply, NULL, &code, &message)) {
		/* Not going to change by itself soon: retry slowly. */
		s->retry_delay = SCREEN_RETRY_MAX;
		free(s->conn_error);
		xasprintf(&s->conn_error, "the agent refused: %s", message);
		s->drop = 1;
		return;
	}
	if (s->msg_error) {
		free(s->msg);
		s->msg = NULL;
	}
	screen_message(s, 0, "connected to the agent at %s", s->socket);
	client_send(c, client_request(proto_cmds[CMD_SUBSCRIBE].name),
	    NULL, NULL);
	client_send(c, client_request(proto_cmds[CMD_LIST].name),
	    screen_list_cb, s);
}

static void
screen_connect(struct screen *s)
{
	json_t	*req;
	char	*cause;

	s->client = client_connect(s->socket, SCREEN_CONNECT_TIMEOUT, &cause);
	if (s->client == NULL) {
		screen_lost(s, cause);
		free(cause);
		return;
	}
	client_set_event_cb(s->client, screen_event_cb, s);
	req = client_request(proto_cmds[CMD_HELLO].name);
	json_object_set_new(req, PF_VERSION, json_integer(PROTO_VERSION));
	client_send(s->client, req, screen_hello_cb, s);
	s->dirty = 1;
}

/* ------------------------------------------------------------- input */

static int
screen_normalise(int r, wint_t wc)
{
	if (r == KEY_CODE_YES) {
		switch (wc) {
		case KEY_ENTER:
			return (KEYC_ENTER);
		case KEY_BACKSPACE:
			return (KEYC_BSPACE);
		}
		return (KEYC_FN(wc));
	}
	switch (wc) {
	case '\n':
		return (KEYC_ENTER);
	case 0x7f:
	case 0x08:
		return (KEYC_BSPACE);
	}
	return (wc);
}

static void
screen_key(struct screen *s, int key)
{
	const struct view		*v = screen_top(s);
	const struct key_binding	*k;

	if (key == KEYC_FN(KEY_RESIZE)) {
		s->dirty = 1;
		return;
	}
	/* The VM screen's input mode takes every key. */
	if (preview_key(s, key)) {
		s->dirty = 1;
		return;
	}
	if (!s->msg_error || s->client != NULL) {
		if (s->msg != NULL)
			s->dirty = 1;
		free(s->msg);
		s->msg = NULL;
	}
	if ((k = key_find(v, key)) != NULL) {
		k->fn(s);
		s->dirty = 1;
		return;
	}
	if (v->text != NULL && key >= 0x20 && key != 0x7f &&
	    (key & KEYC_FN(0)) == 0) {
		v->text(s, key);
		s->dirty = 1;
	}
}

static void
screen_read_keys(struct screen *s)
{
	wint_t	wc;
	int	r;

	while (!s->quit && (r = get_wch(&wc)) != ERR)
		screen_key(s, screen_normalise(r, wc));
}

/* ------------------------------------------------------------- draw */

static void
screen_draw(struct screen *s)
{
	int	i, base = 0;

	erase();
	if (LINES < 10 || COLS < 40) {
		mvaddstr(0, 0, "The terminal is too small for anlasser-tui.");
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	for (i = s->nstack - 1; i >= 0; i--) {
		if (!s->stack[i]->overlay) {
			base = i;
			break;
		}
	}
	for (i = base; i < s->nstack; i++)
		s->stack[i]->draw(s);
	if (!screen_top(s)->overlay || screen_top(s) == &view_iso)
		draw_message(s);
	draw_footer(s);
	wnoutrefresh(stdscr);
	doupdate();
}

/* Does something on screen count seconds (uptime)? */
static int
screen_ticking(struct screen *s)
{
	size_t	i;

	for (i = 0; i < s->model.norder; i++) {
		if (model_shown(&s->model, i)->info.state == VM_RUNNING)
			return (1);
	}
	return (0);
}

/* ------------------------------------------------------------- main */

static void
screen_setup(void)
{
	const char	*e;

	if (initscr() == NULL)
		fatalx("cannot initialise the terminal");
	screen_curses = 1;
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
#ifdef NCURSES_VERSION
	if ((e = getenv("ESCDELAY")) == NULL || *e == '\0')
		set_escdelay(100);
#else
	(void)e;
#endif
}

/*
 * Run the console of a VM on a connection of its own, with curses
 * suspended; back to the screen after ~. (or when it ends).
 */
void
screen_console(struct screen *s, const char *name)
{
	struct client	*c;
	json_t		*req, *reply;
	const char	*code, *message;
	char		*cause, *refused;
	int		 fd, ok;

	c = client_open(s->socket, SCREEN_CONNECT_TIMEOUT, &cause, &refused);
	if (c == NULL) {
		screen_message(s, 1, "%s: console: %s", name, cause);
		free(cause);
		free(refused);
		return;
	}
	req = client_request(proto_cmds[CMD_CONSOLE].name);
	json_object_set_new(req, PF_NAME, json_string(name));
	reply = client_call_raw(c, req, CLIENT_CALL_TIMEOUT, &cause);
	if (reply == NULL) {
		screen_message(s, 1, "%s: console: %s", name, cause);
		free(cause);
		client_free(c);
		return;
	}
	ok = client_reply_ok(reply, NULL, &code, &message);
	if (!ok) {
		screen_message(s, 1, "%s: console: %s", name, message);
		json_decref(reply);
		client_free(c);
		return;
	}
	json_decref(reply);
	fd = client_detach(c);

	def_prog_mode();
	endwin();
	if (console_run(fd, name, &cause) == -1) {
		screen_message(s, 1, "%s", cause);
		free(cause);
	} else
		screen_message(s, 0, "%s: detached from the console", name);
	close(fd);
	reset_prog_mode();
	screen_redraw(s);
}

int
screen_main(const char *socket)
{
	struct screen		 s;
	struct sigaction	 sa;
	struct pollfd		 pfd[3];
	double			 now, next;
	int			 timeout, n, vt;

	memset(&s, 0, sizeof s);
	s.socket = client_socket_path(socket);
	s.retry_delay = SCREEN_RETRY_MIN;
	model_init(&s.model);
	screen_push(&s, &view_list);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = screen_signal_cb;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	log_set_fatal_hook(screen_end);
	atexit(screen_end);
	screen_setup();
	draw_init(&s);
	screen_connect(&s);

	while (!s.quit && screen_signal == 0) {
		if (s.drop)
			screen_lost(&s, s.conn_error);
		now = mono_now();
		if (s.msg != NULL && s.msg_until != 0 && now >= s.msg_until) {
			free(s.msg);
			s.msg = NULL;
			s.dirty = 1;
		}
		if (s.dirty) {
			screen_draw(&s);
			s.dirty = 0;
		}

		/* The next timer: a second tick, a retry, a message. */
		next = now + 60;
		if (screen_ticking(&s))
			next = now + 1.0 - (now - (long long)now);
		if (s.client == NULL && s.retry_at < next)
			next = s.retry_at;
		if (s.msg != NULL && s.msg_until != 0 && s.msg_until < next)
			next = s.msg_until;
		timeout = next > now ? (int)((next - now) * 1000) + 1 : 0;

		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = s.client != NULL ? client_fd(s.client) : -1;
		pfd[1].events = POLLIN;
		if (s.client != NULL && client_want_write(s.client))
			pfd[1].events |= POLLOUT;
		/* The VM screen's VNC connection. */
		if ((vt = preview_poll(&s, &pfd[2])) >= 0 && vt < timeout)
			timeout = vt;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		n = poll(pfd, 3, timeout);
		if (n == -1 && errno != EINTR)
			fatal("poll");

		/* Keys (also KEY_RESIZE after SIGWINCH broke the poll). */
		screen_read_keys(&s);
		if (s.client != NULL && (pfd[1].revents & POLLOUT) &&
		    client_write(s.client) == -1)
			screen_lost(&s, client_error(s.client));
		if (s.client != NULL &&
		    (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    client_read(s.client) == -1)
			screen_lost(&s, client_error(s.client));
		if (s.client != NULL && client_want_write(s.client) &&
		    client_write(s.client) == -1)
			screen_lost(&s, client_error(s.client));

		preview_io(&s);

		now = mono_now();
		if (s.client == NULL && now >= s.retry_at)
			screen_connect(&s);
		if (screen_ticking(&s))
			s.dirty = 1;
	}

	screen_end();
	preview_end(&s);
	client_free(s.client);
	model_free(&s.model);
	free(s.sel);
	free(s.detail);
	free(s.msg);
	free(s.conn_error);
	return (EXIT_OK);
}
