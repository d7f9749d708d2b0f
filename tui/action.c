/*
 * What the VM keys do: requests to the agent whose replies end up on the
 * message line.  The list shows the state changes themselves, from the
 * agent's events.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xmalloc.h"
#include "tui.h"

struct action {
	struct screen	*s;
	enum proto_cmd	 cmd;
	char		*name;
};

static struct action *
action_new(struct screen *s, enum proto_cmd cmd, const char *name)
{
	struct action	*a;

	a = xcalloc(1, sizeof *a);
	a->s = s;
	a->cmd = cmd;
	a->name = name != NULL ? xstrdup(name) : NULL;
	return (a);
}

static void
action_free(struct action *a)
{
	free(a->name);
	free(a);
}

/* A status reply after a change the agent sent no event for. */
static void
action_status_cb(struct client *c, json_t *reply, void *arg)
{
	struct screen	*s = arg;
	json_t		*result;
	const char	*code, *message;
	char		*cause;

	if (reply == NULL || !client_reply_ok(reply, &result, &code, &message))
		return;
	if (model_update(&s->model, json_object_get(result, PF_VM),
	    mono_now(), &cause) == -1)
		free(cause);
	list_fix_selection(s);
	s->dirty = 1;
}

static void
action_vm_cb(struct client *c, json_t *reply, void *arg)
{
	struct action	*a = arg;
	json_t		*result, *req;
	const char	*code, *message, *outcome, *note;
	int		 changed;

	if (reply == NULL) {
		action_free(a);
		return;
	}
	if (!client_reply_ok(reply, &result, &code, &message)) {
		screen_message(a->s, 1, "%s: %s: %s", a->name,
		    proto_cmds[a->cmd].name, message);
		action_free(a);
		return;
	}
	changed = json_is_true(json_object_get(result, PF_CHANGED));
	outcome = json_string_value(json_object_get(result, PF_OUTCOME));
	note = json_string_value(json_object_get(result, PF_NOTE));
	screen_message(a->s, 0, "%s: %s%s%s", a->name,
	    format_outcome(a->cmd, changed, outcome, 0),
	    note != NULL ? "; " : "", note != NULL ? note : "");
	if (changed && json_object_get(result, PF_VM) == NULL) {
		/* The ISO changed: no state event says so.  Ask. */
		req = client_request(proto_cmds[CMD_STATUS].name);
		json_object_set_new(req, PF_NAME, json_string(a->name));
		client_send(c, req, action_status_cb, a->s);
	}
	action_free(a);
}

/*
 * Send cmd for a VM with extra fields (stolen, may be NULL).  Commands
 * that can wait are sent with "wait": the reply then tells the end.
 */
void
action_vm(struct screen *s, enum proto_cmd cmd, const char *name,
    json_t *extra)
{
	const struct proto_cmd_entry	*ce = &proto_cmds[cmd];
	json_t				*req;

	if (name == NULL) {
		json_decref(extra);
		screen_message(s, 1, "no VM selected");
		return;
	}
	req = client_request(ce->name);
	json_object_set_new(req, PF_NAME, json_string(name));
	if (proto_cmd_arg(ce, PF_WAIT) != NULL)
		json_object_set_new(req, PF_WAIT, json_true());
	if (extra != NULL) {
		json_object_update(req, extra);
		json_decref(extra);
	}
	if (screen_send(s, req, action_vm_cb, action_new(s, cmd, name)) == -1)
		return;
	screen_message(s, 0, "%s: %s ...", name, ce->name);
}

void
action_start(struct screen *s)
{
	action_vm(s, CMD_START, screen_target(s), NULL);
}

void
action_stop(struct screen *s)
{
	prompt_confirm(s, CMD_STOP, screen_target(s),
	    "shut down gracefully (ACPI)");
}

void
action_poweroff(struct screen *s)
{
	prompt_confirm(s, CMD_POWEROFF, screen_target(s),
	    "power off at once, without asking the guest");
}

void
action_reset(struct screen *s)
{
	prompt_confirm(s, CMD_RESET, screen_target(s),
	    "hard-reset, without asking the guest");
}

void
action_restart(struct screen *s)
{
	action_vm(s, CMD_RESTART, screen_target(s), NULL);
}

void
action_detach_iso(struct screen *s)
{
	action_vm(s, CMD_DETACH_ISO, screen_target(s), NULL);
}

static void
action_isos_cb(struct client *c, json_t *reply, void *arg)
{
	struct action	*a = arg;
	json_t		*result, *isos;
	const char	*code, *message;

	if (reply == NULL) {
		action_free(a);
		return;
	}
	if (!client_reply_ok(reply, &result, &code, &message))
		screen_message(a->s, 1, "list-isos: %s", message);
	else if (json_array_size(isos = json_object_get(result,
	    PF_ISOS)) == 0)
		screen_message(a->s, 1, "no ISO images in the agent's ISO "
		    "directories (iso_dirs in anlasser.conf)");
	else
		iso_open(a->s, a->name, isos);
	action_free(a);
}

void
action_attach_iso(struct screen *s)
{
	const char	*name = screen_target(s);

	if (name == NULL) {
		screen_message(s, 1, "no VM selected");
		return;
	}
	screen_send(s, client_request(proto_cmds[CMD_LIST_ISOS].name),
	    action_isos_cb, action_new(s, CMD_LIST_ISOS, name));
}

void
action_console(struct screen *s)
{
	const char	*name = screen_target(s);
	char		*copy;

	if (name == NULL) {
		screen_message(s, 1, "no VM selected");
		return;
	}
	copy = xstrdup(name);
	screen_console(s, copy);
	free(copy);
}

static void
action_reload_cb(struct client *c, json_t *reply, void *arg)
{
	struct action	*a = arg;
	json_t		*result, *err, *problems;
	const char	*code, *message, *first = NULL;

	if (reply == NULL) {
		action_free(a);
		return;
	}
	if (!client_reply_ok(reply, &result, &code, &message)) {
		err = json_object_get(reply, PF_ERROR);
		problems = json_object_get(err, PF_PROBLEMS);
		if (json_array_size(problems) > 0)
			first = json_string_value(json_array_get(problems, 0));
		screen_message(a->s, 1, "reload: %s%s%s", message,
		    first != NULL ? ": " : "", first != NULL ? first : "");
	} else
		screen_message(a->s, 0, "configuration reloaded: %zu added, "
		    "%zu removed",
		    json_array_size(json_object_get(result, PF_ADDED)),
		    json_array_size(json_object_get(result, PF_REMOVED)));
	action_free(a);
}

void
action_reload(struct screen *s)
{
	screen_send(s, client_request(proto_cmds[CMD_RELOAD].name),
	    action_reload_cb, action_new(s, CMD_RELOAD, NULL));
}
