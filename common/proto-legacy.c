/*
 * The legacy protocol of the Python Anlasser (list_vms, get_vm_state,
 * set_vm_state) and its reply shapes.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf.h"
#include "proto.h"
#include "proto-int.h"
#include "xmalloc.h"

static json_t *
int_or_null(long v)
{
	return (v >= 0 ? json_integer(v) : json_null());
}

json_t *
proto_legacy_failure(const char *type, const char *text)
{
	json_t	*r = json_object();

	json_object_set_new(r, "result", json_string("failure"));
	json_object_set_new(r, "error_type", proto_json_string(type));
	json_object_set_new(r, "error_text", proto_json_string(text));
	json_object_set_new(r, "error_extra_data", json_null());
	return (r);
}

json_t *
proto_legacy_failure_extra(const char *type, const char *text,
    const char *fmt, ...)
{
	json_t	*r = proto_legacy_failure(type, text);
	va_list	 ap;
	char	*extra;

	va_start(ap, fmt);
	if (vasprintf(&extra, fmt, ap) == -1)
		extra = NULL;
	va_end(ap);
	if (extra != NULL)
		json_object_set_new(r, "error_extra_data", proto_json_string(extra));
	free(extra);
	return (r);
}

json_t *
proto_legacy_success(void)
{
	json_t	*r = json_object();

	json_object_set_new(r, "result", json_string("success"));
	return (r);
}

json_t *
proto_legacy_vm_entry(const char *name, long pid)
{
	json_t	*r = json_object();

	json_object_set_new(r, "vm_name", proto_json_string(name));
	json_object_set_new(r, "vm_controller_pid", int_or_null(pid));
	return (r);
}

json_t *
proto_legacy_list_reply(json_t *list)
{
	json_t	*r = proto_legacy_success();

	json_object_set_new(r, "vm_list", list != NULL ? list : json_array());
	return (r);
}

json_t *
proto_legacy_state_reply(int up, long pid)
{
	json_t	*r = proto_legacy_success();

	json_object_set_new(r, "vm_state", json_string(up ? "vm_up" :
	    "vm_down"));
	if (up)
		json_object_set_new(r, "vm_pid", int_or_null(pid));
	return (r);
}

/* A legacy key's value for error_extra_data: "up", 5, {...}. */
static char *
legacy_value(const json_t *v)
{
	char	*s, buf[80];

	if (json_is_string(v)) {
		proto_quote(json_string_value(v), buf, sizeof buf);
		return (xstrdup(buf));
	}
	if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return (xstrdup("?"));
	proto_quote(s, buf, sizeof buf);
	free(s);
	return (xstrdup(buf));
}

static int
legacy_fail(json_t **reply, json_t *r)
{
	*reply = r;
	return (-1);
}

int
proto_legacy_parse(const json_t *req, enum legacy_action *action,
    const char **name, json_t **reply)
{
	json_t		*a, *n, *t;
	const char	*s, *why;
	char		*v;

	*name = NULL;
	*reply = NULL;
	a = json_object_get(req, "action");
	s = json_string_value(a);
	if (s != NULL && strcmp(s, LEGACY_LIST_VMS) == 0) {
		*action = LEGACY_LIST;
		return (0);
	}
	if (s == NULL || (strcmp(s, LEGACY_GET_VM_STATE) != 0 &&
	    strcmp(s, LEGACY_SET_VM_STATE) != 0)) {
		v = a != NULL ? legacy_value(a) : xstrdup("none");
		*reply = proto_legacy_failure_extra(LEGACY_E_MALFORMED,
		    LEGACY_T_ACTION_UNKNOWN, "requested action: %s", v);
		free(v);
		return (-1);
	}
	if ((n = json_object_get(req, "vm_name")) == NULL)
		return (legacy_fail(reply, proto_legacy_failure_extra(
		    LEGACY_E_MALFORMED, LEGACY_T_MISSING_KEY,
		    "missing key: 'vm_name'")));
	if (!json_is_string(n))
		why = "must be a string";
	else if (strlen(json_string_value(n)) != json_string_length(n))
		why = "must not contain NUL characters";
	else
		why = vm_name_check(json_string_value(n));
	if (why != NULL) {
		v = legacy_value(n);
		*reply = proto_legacy_failure_extra(LEGACY_E_MALFORMED,
		    LEGACY_T_NAME_INVALID, "vm_name %s: %s", v, why);
		free(v);
		return (-1);
	}
	if (strcmp(s, LEGACY_GET_VM_STATE) == 0) {
		*action = LEGACY_GET;
		*name = json_string_value(n);
		return (0);
	}
	if ((t = json_object_get(req, "vm_target_state")) == NULL)
		return (legacy_fail(reply, proto_legacy_failure_extra(
		    LEGACY_E_MALFORMED, LEGACY_T_MISSING_KEY,
		    "missing key: 'vm_target_state'")));
	s = json_string_value(t);
	if (s != NULL && strcmp(s, "up") == 0)
		*action = LEGACY_SET_UP;
	else if (s != NULL && strcmp(s, "down") == 0)
		*action = LEGACY_SET_DOWN;
	else {
		v = legacy_value(t);
		*reply = proto_legacy_failure_extra(LEGACY_E_MALFORMED,
		    LEGACY_T_STATE_UNKNOWN, "requested state: %s "
		    "(use up or down)", v);
		free(v);
		return (-1);
	}
	*name = json_string_value(n);
	return (0);
}
