/*
 * The VM object on the wire: struct vm_info to JSON and back.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf.h"
#include "proto.h"
#include "xmalloc.h"

void
proto_vm_info_init(struct vm_info *vi)
{
	memset(vi, 0, sizeof *vi);
	vi->state = VM_STOPPED;
	vi->pid = -1;
	vi->vnc_port = -1;
	vi->uptime_s = -1;
	vi->last_exit = VM_EXIT_NONE;
}

void
proto_vm_info_clear(struct vm_info *vi)
{
	free(vi->name);
	free(vi->vnc_host);
	free(vi->iso);
	free(vi->waiting_for);
	proto_vm_info_init(vi);
}

static json_t *
int_or_null(long long v)
{
	return (v >= 0 ? json_integer(v) : json_null());
}

json_t *
proto_vm_to_json(const struct vm_info *vi)
{
	json_t	*o = json_object();

	json_object_set_new(o, PF_NAME,
	    proto_json_string(vi->name != NULL ? vi->name : ""));
	json_object_set_new(o, PF_STATE,
	    json_string(proto_state_name(vi->state)));
	json_object_set_new(o, PF_PID, int_or_null(vi->pid));
	json_object_set_new(o, PF_VCPUS, json_integer(vi->vcpus));
	json_object_set_new(o, PF_MEMORY_MB, json_integer(vi->memory_mb));
	json_object_set_new(o, PF_VNC_HOST, proto_json_string(vi->vnc_host));
	json_object_set_new(o, PF_VNC_PORT, int_or_null(vi->vnc_port));
	json_object_set_new(o, PF_UPTIME_S, int_or_null(vi->uptime_s));
	json_object_set_new(o, PF_ISO, proto_json_string(vi->iso));
	json_object_set_new(o, PF_LAST_EXIT,
	    vi->last_exit == VM_EXIT_NONE || vi->last_exit >= VM_NEXITS ?
	    json_null() : json_string(proto_exit_name(vi->last_exit)));
	json_object_set_new(o, PF_LAST_EXIT_TIME,
	    json_integer(vi->last_exit_time));
	json_object_set_new(o, PF_CONSOLE, json_boolean(vi->console));
	json_object_set_new(o, PF_WAITING_FOR, proto_json_string(vi->waiting_for));
	return (o);
}

/* An integer field in [min, max]; absent or null gives dflt. */
static int
vm_get_int(const json_t *o, const char *key, long long min, long long max,
    long long dflt, long long *out, char **cause)
{
	json_t	*v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		*out = dflt;
		return (0);
	}
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		xasprintf(cause, "VM object: \"%s\" must be an integer from "
		    "%lld to %lld or null", key, min, max);
		return (-1);
	}
	*out = json_integer_value(v);
	return (0);
}

/* An optional string field; absent or null gives NULL. */
static int
vm_get_str(const json_t *o, const char *key, char **out, char **cause)
{
	json_t	*v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_string(v)) {
		xasprintf(cause, "VM object: \"%s\" must be a string or null",
		    key);
		return (-1);
	}
	*out = xstrdup(json_string_value(v));
	return (0);
}

int
proto_vm_from_json(const json_t *o, struct vm_info *vi, char **cause)
{
	const char	*s;
	json_t		*v;
	long long	 n;
	int		 i;

	proto_vm_info_init(vi);
	if (!json_is_object(o)) {
		xasprintf(cause, "VM object: must be an object");
		return (-1);
	}
	v = json_object_get(o, PF_NAME);
	if (!json_is_string(v) || vm_name_check(json_string_value(v)) != NULL) {
		xasprintf(cause, "VM object: \"%s\" must be a VM name",
		    PF_NAME);
		goto fail;
	}
	vi->name = xstrdup(json_string_value(v));
	s = json_string_value(json_object_get(o, PF_STATE));
	if ((i = proto_state_from_name(s)) == -1) {
		xasprintf(cause, "VM object: \"%s\" must be a known state",
		    PF_STATE);
		goto fail;
	}
	vi->state = i;
	if (vm_get_int(o, PF_PID, 0, LONG_MAX, -1, &n, cause) != 0)
		goto fail;
	vi->pid = n;
	if (vm_get_int(o, PF_VCPUS, 0, INT_MAX, 0, &n, cause) != 0)
		goto fail;
	vi->vcpus = n;
	if (vm_get_int(o, PF_MEMORY_MB, 0, INT_MAX, 0, &n, cause) != 0)
		goto fail;
	vi->memory_mb = n;
	if (vm_get_int(o, PF_VNC_PORT, 0, 65535, -1, &n, cause) != 0)
		goto fail;
	vi->vnc_port = n;
	if (vm_get_int(o, PF_UPTIME_S, 0, LLONG_MAX, -1, &n, cause) != 0)
		goto fail;
	vi->uptime_s = n;
	if (vm_get_int(o, PF_LAST_EXIT_TIME, 0, LLONG_MAX, 0, &n, cause) != 0)
		goto fail;
	vi->last_exit_time = n;
	v = json_object_get(o, PF_LAST_EXIT);
	if (v != NULL && !json_is_null(v)) {
		if ((i = proto_exit_from_name(json_string_value(v))) == -1) {
			xasprintf(cause, "VM object: \"%s\" must be a known "
			    "exit reason or null", PF_LAST_EXIT);
			goto fail;
		}
		vi->last_exit = i;
	}
	v = json_object_get(o, PF_CONSOLE);
	if (v != NULL && !json_is_boolean(v)) {
		xasprintf(cause, "VM object: \"%s\" must be a boolean",
		    PF_CONSOLE);
		goto fail;
	}
	vi->console = json_is_true(v);
	if (vm_get_str(o, PF_VNC_HOST, &vi->vnc_host, cause) != 0 ||
	    vm_get_str(o, PF_ISO, &vi->iso, cause) != 0 ||
	    vm_get_str(o, PF_WAITING_FOR, &vi->waiting_for, cause) != 0)
		goto fail;
	return (0);
fail:
	proto_vm_info_clear(vi);
	return (-1);
}
