/*
 * The new-VM form: one line per field of the agent's create command,
 * typed into; Enter sends it.  What was typed is kept until a create
 * succeeds, so a refused request can be corrected.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "xmalloc.h"
#include "tui.h"

/*
 * The fields, in order; empty ones are left out of the request.  A field
 * without a hint shows what the VM file's key of that name allows and
 * its default, from the config table; a field that is a key with a
 * fixed list of values (firmware) is checked here against that list.
 */
static const struct form_field {
	const char	*label;
	const char	*field;		/* create's argument */
	const char	*hint;		/* shown while empty */
} form_fields[CREATE_NFIELDS] = {
	{ "Name", PF_NAME, "letters, digits, - and _" },
	{ "Disk size", PF_DISK_SIZE, "20G, 512M, 1T" },
	{ "Memory (MiB)", PF_MEMORY_MB, "default 1024" },
	{ "CPUs", PF_CPUS, "default 1" },
	{ "Disk directory", PF_DISK_DIR, "DIR: the disk goes in DIR/NAME/" },
	{ "ZFS dataset", PF_ZFS_DATASET, "or PARENT: a new dataset" },
	{ "Bridge", PF_NIC_BRIDGE, "none: no network card" },
	{ "ISO image", PF_ISO, "optional, absolute path" },
	{ "Firmware", PF_FIRMWARE, NULL },
};

/* A field's hint (new string): its own, or from the VM file's key. */
static char *
create_hint(const struct form_field *f)
{
	const struct conf_key	*k;
	char			*allowed, *s;

	if (f->hint != NULL || (k = conf_vm_key(f->field)) == NULL)
		return (xstrdup(f->hint != NULL ? f->hint : ""));
	allowed = conf_key_allowed(k);
	xasprintf(&s, "%s%s%s", allowed, k->def != NULL ? "; default " : "",
	    k->def != NULL ? k->def : "");
	free(allowed);
	return (s);
}

void
create_open(struct screen *s)
{
	s->create_field = 0;
	screen_push(s, &view_create);
}

void
create_cancel(struct screen *s)
{
	screen_pop(s);
}

void
create_text(struct screen *s, int key)
{
	input_add(s->create_input[s->create_field],
	    sizeof s->create_input[s->create_field], key);
}

void
create_backspace(struct screen *s)
{
	input_del(s->create_input[s->create_field]);
}

void
create_next(struct screen *s)
{
	s->create_field = (s->create_field + 1) % CREATE_NFIELDS;
}

void
create_prev(struct screen *s)
{
	s->create_field = (s->create_field + CREATE_NFIELDS - 1) %
	    CREATE_NFIELDS;
}

static void
create_cb(struct client *c, json_t *reply, void *arg)
{
	struct screen	*s = arg;
	json_t		*result;
	const char	*code, *message, *disk;
	int		 i;

	if (reply == NULL)
		return;
	if (!client_reply_ok(reply, &result, &code, &message)) {
		screen_message(s, 1, "create: %s (n opens the form again)",
		    message);
		return;
	}
	disk = json_string_value(json_object_get(result, "disk"));
	screen_message(s, 0, "%s: %s%s%s", json_string_value(
	    json_object_get(result, PF_NAME)), format_outcome(CMD_CREATE,
	    json_is_true(json_object_get(result, PF_CHANGED)), NULL, 0),
	    disk != NULL ? ", disk " : "", disk != NULL ? disk : "");
	for (i = 0; i < CREATE_NFIELDS; i++)
		s->create_input[i][0] = '\0';
}

/* The request from the fields, or NULL with a message shown. */
static json_t *
create_request(struct screen *s)
{
	const struct proto_arg	*a;
	const struct conf_key	*k;
	json_t			*req, *v;
	const char		*in;
	char			*end, *why;
	long			 n;
	int			 i;

	req = client_request(proto_cmds[CMD_CREATE].name);
	for (i = 0; i < CREATE_NFIELDS; i++) {
		in = s->create_input[i];
		a = proto_cmd_arg(&proto_cmds[CMD_CREATE],
		    form_fields[i].field);
		if (*in == '\0') {
			if (a != NULL && a->required) {
				screen_message(s, 1, "%s is required",
				    form_fields[i].label);
				s->create_field = i;
				json_decref(req);
				return (NULL);
			}
			continue;
		}
		if ((k = conf_vm_key(form_fields[i].field)) != NULL &&
		    k->type == CONF_ENUM &&
		    (why = conf_key_check(k, in)) != NULL) {
			screen_message(s, 1, "%s: %s", form_fields[i].label,
			    why);
			free(why);
			s->create_field = i;
			json_decref(req);
			return (NULL);
		}
		if (a != NULL && a->type == ARG_INT) {
			errno = 0;
			n = strtol(in, &end, 10);
			if (*end != '\0' || errno != 0 || n < 0 ||
			    n > INT_MAX) {
				screen_message(s, 1, "%s: not a number: %s",
				    form_fields[i].label, in);
				s->create_field = i;
				json_decref(req);
				return (NULL);
			}
			v = json_integer(n);
		} else
			v = json_string(in);
		json_object_set_new(req, form_fields[i].field, v);
	}
	return (req);
}

void
create_submit(struct screen *s)
{
	json_t	*req;

	if ((req = create_request(s)) == NULL)
		return;
	screen_pop(s);
	if (screen_send(s, req, create_cb, s) == -1)
		return;
	screen_message(s, 0, "%s: create ...", s->create_input[0]);
}

void
view_create_draw(struct screen *s)
{
	char	 buf[SCREEN_INPUT_MAX + 64], *hint;
	int	 h, w, y, x, i, n, lw = 16;

	w = COLS - 4 < 72 ? COLS - 4 : 72;
	h = CREATE_NFIELDS + 4;
	y = 1 + (LINES - 3 - h) / 2;
	x = (COLS - w) / 2;
	if (y < 1)
		y = 1;
	draw_box(y, x, h, w, "New VM");
	for (i = 0; i < CREATE_NFIELDS; i++) {
		snprintf(buf, sizeof buf, "%s:", form_fields[i].label);
		draw_text(y + 1 + i, x + 2, lw, buf, i == s->create_field ?
		    A_BOLD : A_NORMAL);
		if (s->create_input[i][0] == '\0' && i != s->create_field) {
			hint = create_hint(&form_fields[i]);
			draw_text(y + 1 + i, x + 2 + lw, w - lw - 4, hint,
			    A_DIM);
			free(hint);
		} else {
			n = draw_text(y + 1 + i, x + 2 + lw, w - lw - 5,
			    s->create_input[i], A_NORMAL);
			if (i == s->create_field)
				mvaddch(y + 1 + i, x + 2 + lw + n,
				    ' ' | A_REVERSE);
		}
	}
	/* The message line is under the form: say it here. */
	if (s->msg != NULL)
		draw_text(y + h - 2, x + 2, w - 4, s->msg, A_BOLD);
	else
		draw_text(y + h - 2, x + 2, w - 4, "Enter creates; disk "
		    "directory or dataset: one of them, or the agent's vm_dir",
		    A_DIM);
}

/* Delete from the list: asks first; the agent keeps the disks. */
void
action_delete(struct screen *s)
{
	prompt_confirm(s, CMD_DELETE, screen_target(s),
	    "remove its configuration file (its disks are kept)");
}
