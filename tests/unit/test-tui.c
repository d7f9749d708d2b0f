/*
 * Unit tests of the TUI's tables and its curses-free parts: every key of
 * every view is documented in anlasser-tui.1 (in that view's section)
 * and bound once; every batch verb is documented and names a real
 * protocol command; the usage lines; the formatting shared by batch and
 * full screen; the model's sorting, filtering and local uptime.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compat.h"
#include "proto.h"
#include "util.h"
#include "xmalloc.h"
#include "tui.h"
#include "tap.h"

static char *
man_text(void)
{
	const char	*top = getenv("top_srcdir");
	char		*path, *text, *p, *q;

	xasprintf(&path, "%s/man/anlasser-tui.1", top != NULL ? top : ".");
	text = read_file(path, 0, NULL);
	if (text == NULL) {
		printf("# cannot read %s\n", path);
		free(path);
		return (xstrdup(""));
	}
	free(path);
	/* Drop mdoc's zero-width escapes: "\&?" is "?". */
	for (p = q = text; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] == '&') {
			p++;
			continue;
		}
		*q++ = *p;
	}
	*q = '\0';
	return (text);
}

/* The text of one ".Ss title" subsection (new string, "" if none). */
static char *
man_section(const char *man, const char *title)
{
	char		*head, *start, *end;

	xasprintf(&head, "\n.Ss %s\n", title);
	start = strstr(man, head);
	free(head);
	if (start == NULL)
		return (xstrdup(""));
	start++;
	end = strstr(start + 1, "\n.S");
	return (end != NULL ? xstrndup(start, end - start) : xstrdup(start));
}

/* Does text hold "Ic LABEL" followed by a space, comma or newline? */
static int
man_has_key(const char *text, const char *label)
{
	char		*needle;
	const char	*p;
	size_t		 len;
	int		 found = 0;

	len = xasprintf(&needle, "Ic %s", label);
	for (p = text; (p = strstr(p, needle)) != NULL; p++) {
		if (p[len] == ' ' || p[len] == ',' || p[len] == '\n') {
			found = 1;
			break;
		}
	}
	free(needle);
	return (found);
}

static void
test_keys(const char *man)
{
	const struct view	*v;
	size_t			 i, j, k;
	char			*sec;
	int			 dup, undoc, nofn;

	for (i = 0; i < views_nall; i++) {
		v = views_all[i];
		sec = man_section(man, v->name);
		ok(*sec != '\0', "anlasser-tui.1 has a section for the %s",
		    v->name);
		dup = undoc = nofn = 0;
		for (j = 0; j < v->nkeys; j++) {
			for (k = j + 1; k < v->nkeys; k++) {
				if (v->keys[j].key == v->keys[k].key) {
					printf("# %s: %s bound twice\n",
					    v->name, v->keys[j].label);
					dup++;
				}
			}
			if (!man_has_key(sec, v->keys[j].label)) {
				printf("# %s: key %s is not in the man "
				    "page\n", v->name, v->keys[j].label);
				undoc++;
			}
			if (v->keys[j].fn == NULL || v->keys[j].help == NULL)
				nofn++;
		}
		ok(dup == 0, "%s: no key bound twice", v->name);
		ok(undoc == 0, "%s: every key is documented", v->name);
		ok(nofn == 0, "%s: every key has an action and help", v->name);
		free(sec);
	}
	ok(key_find(&view_list, 's') != NULL &&
	    key_find(&view_list, 's')->fn == action_start,
	    "key_find finds s in the list");
	ok(key_find(&view_list, 'Z') == NULL, "an unbound key is not found");
}

static void
test_verbs(const char *man)
{
	const struct batch_verb	*v;
	char			*needle, *u;
	size_t			 i, j;
	int			 bad = 0;

	for (i = 0; i < batch_nverbs; i++) {
		v = &batch_verbs[i];
		xasprintf(&needle, "\n.It Cm %s", v->verb);
		if (strstr(man, needle) == NULL) {
			printf("# verb %s is not described\n", v->verb);
			bad++;
		}
		free(needle);
		/* screen, send-keys: the status (VNC address), then VNC. */
		if (strcmp(proto_cmds[v->cmd].name, v->verb) != 0 &&
		    (v->cmd != CMD_STATUS || strstr(v->help, "(VNC)") ==
		    NULL)) {
			printf("# verb %s sends %s\n", v->verb,
			    proto_cmds[v->cmd].name);
			bad++;
		}
		for (j = 0; j < batch_nverbs; j++) {
			if (j != i && strcmp(v->verb, batch_verbs[j].verb) == 0)
				bad++;
		}
		if (v->minargs > v->maxargs || v->handler == NULL ||
		    v->timeout <= 0)
			bad++;
	}
	ok(bad == 0, "every verb is described, unique and sends its own "
	    "command");
	for (i = 0; i < batch_nopts; i++) {
		xasprintf(&needle, "Fl %s", batch_opts[i].name + 1);
		ok(strstr(man, needle) != NULL, "option %s is documented",
		    batch_opts[i].name);
		free(needle);
		/* --font: for the TUI itself, no request field. */
		if (batch_opts[i].field != NULL &&
		    proto_cmd_arg(&proto_cmds[CMD_STOP],
		    batch_opts[i].field) == NULL &&
		    proto_cmd_arg(&proto_cmds[CMD_ATTACH_ISO],
		    batch_opts[i].field) == NULL &&
		    proto_cmd_arg(&proto_cmds[CMD_CONSOLE_LOG],
		    batch_opts[i].field) == NULL &&
		    proto_cmd_arg(&proto_cmds[CMD_CREATE],
		    batch_opts[i].field) == NULL)
			ok(0, "option %s maps to no protocol argument",
			    batch_opts[i].name);
	}
	u = batch_usage(batch_find("stop"));
	is_str(u, "stop name [--timeout seconds] [--no-wait]", "stop usage");
	free(u);
	u = batch_usage(batch_find("attach-iso"));
	is_str(u, "attach-iso name path [--boot]", "attach-iso usage");
	free(u);
	u = batch_usage(batch_find("list"));
	is_str(u, "list", "list usage");
	free(u);
	u = batch_usage(batch_find("screen"));
	is_str(u, "screen name [--font path]", "screen usage");
	free(u);
	u = batch_usage(batch_find("send-keys"));
	is_str(u, "send-keys name key ...", "send-keys usage");
	free(u);
	ok(batch_find_opt("--lines") != NULL, "--lines is an option");
}

static void
test_format(void)
{
	struct vm_info	 vm;
	char		 buf[64];
	json_t		*j;

	is_str(format_uptime(-1, buf, sizeof buf), "-", "uptime n/a");
	is_str(format_uptime(59, buf, sizeof buf), "0:00:59", "uptime s");
	is_str(format_uptime(3661, buf, sizeof buf), "1:01:01", "uptime h");
	is_str(format_uptime(2 * 86400 + 3 * 3600 + 4 * 60, buf, sizeof buf),
	    "2d 03:04", "uptime days");
	is_str(format_memory(2048, buf, sizeof buf), "2G", "memory G");
	is_str(format_memory(1536, buf, sizeof buf), "1536M", "memory M");
	is_str(format_iso("/isos/a.iso"), "a.iso", "iso basename");
	is_str(format_iso(NULL), "-", "no iso");
	is_str(format_outcome(CMD_START, 0, NULL, 0), "already running",
	    "start unchanged");
	is_str(format_outcome(CMD_STOP, 1, "forced", 0),
	    "stopped (forced: powered off after the timeout)", "stop forced");
	is_str(format_outcome(CMD_STOP, 0, "already-stopped", 0),
	    "already stopped", "stop already");

	proto_vm_info_init(&vm);
	vm.name = xstrdup("web1");
	vm.vnc_host = xstrdup("::1");
	vm.vnc_port = 5900;
	is_str(format_vnc(&vm, buf, sizeof buf), "[::1]:5900", "vnc v6");
	j = format_vm_json(&vm, NULL);
	ok(json_is_null(json_object_get(j, PF_PID)), "json: pid null");
	ok(json_is_null(json_object_get(j, PF_UPTIME_S)), "json: uptime null");
	ok(json_is_null(json_object_get(j, PF_ISO)), "json: iso null");
	ok(json_is_null(json_object_get(j, PF_LAST_EXIT)),
	    "json: last_exit null");
	is_int(json_integer_value(json_object_get(j, PF_VNC_PORT)), 5900,
	    "json: vnc_port");
	json_decref(j);
	proto_vm_info_clear(&vm);
}

static json_t *
vm_obj(const char *name, const char *state, int vcpus, long long up)
{
	json_t	*o;

	o = json_pack("{s:s,s:s,s:i,s:i}", PF_NAME, name, PF_STATE, state,
	    PF_VCPUS, vcpus, PF_MEMORY_MB, 256);
	if (up >= 0)
		json_object_set_new(o, PF_UPTIME_S, json_integer(up));
	return (o);
}

static void
test_model(void)
{
	struct model	 m;
	json_t		*list, *o;
	char		*cause = NULL;

	model_init(&m);
	list = json_array();
	json_array_append_new(list, vm_obj("web2", "stopped", 1, -1));
	json_array_append_new(list, vm_obj("db1", "running", 4, 100));
	json_array_append_new(list, vm_obj("web1", "failed", 2, -1));
	ok(model_set_list(&m, list, 1000.0, &cause) == 0, "list loads");
	json_decref(list);
	is_int(m.norder, 3, "three VMs shown");
	is_str(model_shown(&m, 0)->info.name, "db1", "sorted by name");
	is_int(model_uptime(model_find(&m, "db1"), 1010.5), 110,
	    "uptime counts on locally");
	is_int(model_uptime(model_find(&m, "web1"), 1010.5), -1,
	    "no uptime when not running");

	model_set_sort(&m, SORT_VCPUS, 0);
	is_str(model_shown(&m, 0)->info.name, "db1", "sorted by vcpus");
	model_set_sort(&m, SORT_VCPUS, 1);
	is_str(model_shown(&m, 0)->info.name, "web2", "reversed");
	model_set_sort(&m, SORT_STATE, 0);
	is_str(model_shown(&m, 0)->info.name, "db1", "running first");

	model_set_filter(&m, "WEB");
	is_int(m.norder, 2, "filter on the name, any case");
	model_set_filter(&m, "failed");
	is_int(m.norder, 1, "filter on the state");
	is_int(model_index(&m, "web1"), 0, "web1 shown");
	is_int(model_index(&m, "db1"), -1, "db1 filtered out");
	model_set_filter(&m, NULL);

	o = vm_obj("web2", "running", 1, 0);
	ok(model_update(&m, o, 2000.0, &cause) == 0, "event updates a VM");
	json_decref(o);
	is_int(model_count(&m, VM_RUNNING), 2, "two running now");
	o = vm_obj("new1", "stopped", 1, -1);
	model_update(&m, o, 2000.0, &cause);
	json_decref(o);
	is_int(m.nvms, 4, "vm-added adds");
	model_remove(&m, "db1");
	is_int(m.nvms, 3, "vm-removed removes");
	ok(model_find(&m, "db1") == NULL, "removed VM is gone");
	o = json_pack("{s:s}", PF_NAME, "bad name!");
	ok(model_update(&m, o, 2000.0, &cause) == -1 && cause != NULL,
	    "a bad VM object is refused with a reason");
	json_decref(o);
	free(cause);
	model_free(&m);
}

static void
test_input(void)
{
	char	buf[16] = "";

	input_add(buf, sizeof buf, 'a');
	input_add(buf, sizeof buf, 'b');
	is_str(buf, "ab", "typed characters append");
	input_del(buf);
	is_str(buf, "a", "backspace removes one");
	input_del(buf);
	input_del(buf);
	is_str(buf, "", "backspace on empty stays empty");
}

int
main(void)
{
	char	*man = man_text();

	test_keys(man);
	test_verbs(man);
	test_format();
	test_model();
	test_input();
	free(man);
	return (tap_done());
}
