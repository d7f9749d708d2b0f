/*
 * The details of one VM: its state (live, from the model), what else the
 * agent says about it (configuration, disks, NICs), the hypervisor
 * command line (show-command) and the end of the console log
 * (console-log).  The last two are fetched on opening and with `u`.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "util.h"
#include "xmalloc.h"
#include "tui.h"

#define DETAIL_LOG_LINES	15
#define DETAIL_LABEL		18	/* columns for the labels */

/* Fields the first section shows itself. */
static const char *const detail_known[] = {
	PF_NAME, PF_STATE, PF_PID, PF_VCPUS, PF_MEMORY_MB, PF_VNC_HOST,
	PF_VNC_PORT, PF_UPTIME_S, PF_ISO, PF_LAST_EXIT, PF_LAST_EXIT_TIME,
	PF_CONSOLE, PF_WAITING_FOR, PF_EVENT
};

struct detail_fetch {
	struct screen	*s;
	char		*name;
	enum proto_cmd	 cmd;
};

static int
detail_rows(void)
{
	return (LINES - 4 > 0 ? LINES - 4 : 0);
}

static void
detail_scroll_by(struct screen *s, int delta)
{
	s->detail_scroll += delta;
	if (s->detail_scroll > s->detail_rows - detail_rows())
		s->detail_scroll = s->detail_rows - detail_rows();
	if (s->detail_scroll < 0)
		s->detail_scroll = 0;
}

void
detail_up(struct screen *s)
{
	detail_scroll_by(s, -1);
}

void
detail_down(struct screen *s)
{
	detail_scroll_by(s, 1);
}

void
detail_page_up(struct screen *s)
{
	detail_scroll_by(s, -detail_rows());
}

void
detail_page_down(struct screen *s)
{
	detail_scroll_by(s, detail_rows());
}

static void
detail_clear(struct screen *s)
{
	json_decref(s->detail_argv);
	json_decref(s->detail_log);
	free(s->detail_log_error);
	s->detail_argv = s->detail_log = NULL;
	s->detail_log_error = NULL;
}

static void
detail_fetch_cb(struct client *c, json_t *reply, void *arg)
{
	struct detail_fetch	*f = arg;
	struct screen		*s = f->s;
	json_t			*result;
	const char		*code, *message;
	int			 ok;

	if (reply == NULL || s->detail == NULL ||
	    strcmp(s->detail, f->name) != 0)
		goto out;		/* stale: the user moved on */
	ok = client_reply_ok(reply, &result, &code, &message);
	if (f->cmd == CMD_SHOW_COMMAND) {
		json_decref(s->detail_argv);
		s->detail_argv = ok ? json_incref(json_object_get(result,
		    PF_ARGV)) : json_string(message);
	} else {
		json_decref(s->detail_log);
		free(s->detail_log_error);
		s->detail_log = NULL;
		s->detail_log_error = NULL;
		if (ok)
			s->detail_log = json_incref(json_object_get(result,
			    PF_LINES));
		else
			s->detail_log_error = xstrdup(message);
	}
	s->dirty = 1;
out:
	free(f->name);
	free(f);
}

static void
detail_fetch(struct screen *s, enum proto_cmd cmd)
{
	struct detail_fetch	*f;
	json_t			*req;

	f = xcalloc(1, sizeof *f);
	f->s = s;
	f->name = xstrdup(s->detail);
	f->cmd = cmd;
	req = client_request(proto_cmds[cmd].name);
	json_object_set_new(req, PF_NAME, json_string(s->detail));
	if (cmd == CMD_CONSOLE_LOG)
		json_object_set_new(req, PF_LINES,
		    json_integer(DETAIL_LOG_LINES));
	screen_send(s, req, detail_fetch_cb, f);
}

void
detail_refresh(struct screen *s)
{
	if (s->detail == NULL)
		return;
	detail_fetch(s, CMD_SHOW_COMMAND);
	detail_fetch(s, CMD_CONSOLE_LOG);
}

void
detail_open(struct screen *s, const char *name)
{
	free(s->detail);
	s->detail = xstrdup(name);
	s->detail_scroll = 0;
	detail_clear(s);
	screen_push(s, &view_detail);
	detail_refresh(s);
}

void
detail_close(struct screen *s)
{
	detail_clear(s);
	free(s->detail);
	s->detail = NULL;
	screen_pop(s);
}

/* ------------------------------------------------------------ drawing */

struct detail_out {
	struct screen	*s;
	int		 row;
};

static void
detail_line(struct detail_out *o, const char *label, const char *value,
    int attr)
{
	int	y = 2 + o->row++ - o->s->detail_scroll;

	if (y < 2 || y >= LINES - 2)
		return;
	if (label == NULL) {
		draw_text(y, 1, COLS - 1, value, attr);
		return;
	}
	draw_text(y, 1, DETAIL_LABEL, label, A_BOLD);
	draw_text(y, DETAIL_LABEL + 2, COLS - DETAIL_LABEL - 2, value, attr);
}

static void
detail_section(struct detail_out *o, const char *title)
{
	int	y, w;

	o->row++;
	y = 2 + o->row++ - o->s->detail_scroll;
	if (y < 2 || y >= LINES - 2)
		return;
	w = draw_width(title);
	draw_hline(y, 0, 2);
	draw_text(y, 3, w, title, A_BOLD);
	draw_hline(y, w + 4, COLS - w - 4);
}

/* A JSON value as one line: strings bare, objects as k=v pairs. */
static char *
detail_value(const json_t *v)
{
	const char	*k;
	json_t		*e;
	char		*s, *t, *ev;

	if (json_is_string(v))
		return (xstrdup(json_string_value(v)));
	if (json_is_null(v))
		return (xstrdup("-"));
	if (json_is_object(v)) {
		s = xstrdup("");
		json_object_foreach((json_t *)v, k, e) {
			ev = detail_value(e);
			xasprintf(&t, "%s%s%s=%s", s, *s != '\0' ? " " : "", k,
			    ev);
			free(ev);
			free(s);
			s = t;
		}
		return (s);
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	return (s != NULL ? s : xstrdup("?"));
}

static int
detail_is_known(const char *key)
{
	size_t	i;

	for (i = 0; i < nitems(detail_known); i++) {
		if (strcmp(detail_known[i], key) == 0)
			return (1);
	}
	return (0);
}

/* Everything else the agent says about the VM, as it says it. */
static void
detail_extra(struct detail_out *o, const json_t *extra)
{
	const char	*key;
	json_t		*v, *e;
	char		 label[64], *s;
	size_t		 i;

	json_object_foreach((json_t *)extra, key, v) {
		if (detail_is_known(key))
			continue;
		if (json_is_array(v)) {
			json_array_foreach(v, i, e) {
				snprintf(label, sizeof label, "%s %zu", key,
				    i);
				s = detail_value(e);
				detail_line(o, label, s, A_NORMAL);
				free(s);
			}
			if (json_array_size(v) == 0)
				detail_line(o, key, "-", A_NORMAL);
			continue;
		}
		s = detail_value(v);
		detail_line(o, key, s, A_NORMAL);
		free(s);
	}
}

static void
detail_state(struct detail_out *o, const struct model_vm *vm)
{
	struct screen		*s = o->s;
	const struct vm_info	*vi = &vm->info;
	char			 buf[256], b1[64], b2[64];
	struct tm		 tm;
	time_t			 t;

	detail_line(o, "State", proto_state_name(vi->state),
	    draw_state_attr(s, vi->state));
	detail_line(o, "PID", format_pid(vi->pid, buf, sizeof buf),
	    A_NORMAL);
	snprintf(buf, sizeof buf, "%d", vi->vcpus);
	detail_line(o, "vCPUs", buf, A_NORMAL);
	detail_line(o, "Memory", format_memory(vi->memory_mb, buf,
	    sizeof buf), A_NORMAL);
	detail_line(o, "VNC", format_vnc(vi, buf, sizeof buf), A_NORMAL);
	detail_line(o, "Uptime", format_uptime(model_uptime(vm, mono_now()),
	    buf, sizeof buf), A_NORMAL);
	detail_line(o, "ISO", vi->iso != NULL ? vi->iso : "-", A_NORMAL);
	format_exit(vi, b1, sizeof b1);
	if (vi->last_exit_time > 0) {
		t = (time_t)vi->last_exit_time;
		localtime_r(&t, &tm);
		strftime(b2, sizeof b2, "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(buf, sizeof buf, "%s at %s", b1, b2);
	} else
		snprintf(buf, sizeof buf, "%s", b1);
	detail_line(o, "Last exit", buf, A_NORMAL);
	detail_line(o, "Serial console", vi->console ? "yes" : "no",
	    A_NORMAL);
	if (vi->waiting_for != NULL)
		detail_line(o, "Waiting for", vi->waiting_for, A_BOLD);
}

static void
detail_command(struct detail_out *o)
{
	struct screen	*s = o->s;
	json_t		*v;
	size_t		 i;
	char		*line = NULL, *t;

	detail_section(o, "Command line");
	if (s->detail_argv == NULL)
		detail_line(o, NULL, "...", A_DIM);
	else if (json_is_string(s->detail_argv))
		detail_line(o, NULL, json_string_value(s->detail_argv),
		    A_DIM);
	else {
		/* One argument per line would be long: wrap at the width. */
		json_array_foreach(s->detail_argv, i, v) {
			if (!json_is_string(v))
				continue;
			if (line != NULL && draw_width(line) +
			    draw_width(json_string_value(v)) + 1 > COLS - 2) {
				detail_line(o, NULL, line, A_NORMAL);
				free(line);
				line = NULL;
			}
			xasprintf(&t, "%s%s%s", line != NULL ? line : "",
			    line != NULL ? " " : "", json_string_value(v));
			free(line);
			line = t;
		}
		if (line != NULL)
			detail_line(o, NULL, line, A_NORMAL);
		free(line);
	}
}

static void
detail_log(struct detail_out *o)
{
	struct screen	*s = o->s;
	json_t		*v;
	size_t		 i;

	detail_section(o, "Console log");
	if (s->detail_log_error != NULL)
		detail_line(o, NULL, s->detail_log_error, A_DIM);
	else if (s->detail_log == NULL)
		detail_line(o, NULL, "...", A_DIM);
	else if (json_array_size(s->detail_log) == 0)
		detail_line(o, NULL, "(empty)", A_DIM);
	json_array_foreach(s->detail_log, i, v) {
		if (json_is_string(v))
			detail_line(o, NULL, json_string_value(v), A_NORMAL);
	}
}

void
view_detail_draw(struct screen *s)
{
	struct detail_out	 o = { s, 0 };
	struct model_vm		*vm = model_find(&s->model, s->detail);
	char			 title[128];

	snprintf(title, sizeof title, "%s", s->detail);
	draw_title(s, title);
	if (vm == NULL) {
		detail_line(&o, NULL, "This VM is no longer configured.",
		    A_BOLD);
		s->detail_rows = o.row;
		return;
	}
	detail_state(&o, vm);
	detail_section(&o, "Configuration");
	detail_extra(&o, vm->extra);
	detail_command(&o);
	detail_log(&o);
	s->detail_rows = o.row;
}
