/*
 * Validation of one request line: length, UTF-8, JSON, shape, command
 * and arguments against proto_cmds[], with messages that name the
 * problem and the fix.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compat.h"
#include "conf.h"
#include "proto.h"
#include "proto-int.h"
#include "util.h"
#include "xmalloc.h"

/* The closest of names[] to s when close enough to be a typo, or NULL. */
static const char *
closest(const char *s, const char *const *names, size_t n)
{
	const char	*best = NULL;
	size_t		 i, d, bestd = SIZE_MAX, limit;

	limit = strlen(s) <= 4 ? 1 : 2;
	for (i = 0; i < n; i++) {
		if (names[i] == NULL)
			continue;
		d = str_distance(s, names[i]);
		if (d <= limit && d < bestd) {
			best = names[i];
			bestd = d;
		}
	}
	return (best);
}

struct parse_error {
	enum proto_error	 code;
	char			*msg;
};

static void perr(struct parse_error *, enum proto_error, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
perr(struct parse_error *pe, enum proto_error code, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	pe->code = code;
	pe->msg = msg != NULL ? msg : xstrdup(proto_error_name(code));
}

static void
unknown_command(struct parse_error *pe, const char *name)
{
	const char	*names[PROTO_NCMDS], *near;
	char		 q[80], list[512];
	int		 i;

	list[0] = '\0';
	for (i = 0; i < PROTO_NCMDS; i++) {
		names[i] = proto_cmds[i].name;
		if (i > 0)
			strlcat(list, ", ", sizeof list);
		strlcat(list, proto_cmds[i].name, sizeof list);
	}
	proto_quote(name, q, sizeof q);
	if ((near = closest(name, names, PROTO_NCMDS)) != NULL)
		perr(pe, ERR_UNKNOWN_COMMAND,
		    "unknown command \"%s\"; did you mean \"%s\"?", q, near);
	else
		perr(pe, ERR_UNKNOWN_COMMAND,
		    "unknown command \"%s\"; known commands: %s", q, list);
}

/* Describe what a command takes: "name, wait" or "no arguments". */
static void
arg_list(const struct proto_cmd_entry *ce, char *buf, size_t size)
{
	int	 i;

	buf[0] = '\0';
	for (i = 0; i < PROTO_MAX_ARGS && ce->args[i].name != NULL; i++) {
		if (i > 0)
			strlcat(buf, ", ", size);
		strlcat(buf, ce->args[i].name, size);
	}
	if (i == 0)
		strlcpy(buf, "no arguments", size);
}

static int
check_unknown_fields(const struct proto_cmd_entry *ce, json_t *req,
    struct parse_error *pe)
{
	const char	*key, *names[PROTO_MAX_ARGS], *near;
	char		 q[80], list[256];
	json_t		*v;
	size_t		 n;

	for (n = 0; n < PROTO_MAX_ARGS && ce->args[n].name != NULL; n++)
		names[n] = ce->args[n].name;
	json_object_foreach(req, key, v) {
		if (strcmp(key, PF_ID) == 0 || strcmp(key, PF_CMD) == 0 ||
		    proto_cmd_arg(ce, key) != NULL)
			continue;
		proto_quote(key, q, sizeof q);
		arg_list(ce, list, sizeof list);
		if ((near = closest(key, names, n)) != NULL)
			perr(pe, ERR_BAD_ARGUMENT, "%s: unknown argument "
			    "\"%s\"; did you mean \"%s\"? (%s takes: %s)",
			    ce->name, q, near, ce->name, list);
		else
			perr(pe, ERR_BAD_ARGUMENT, "%s: unknown argument "
			    "\"%s\"; remove it (%s takes: %s)",
			    ce->name, q, ce->name, list);
		return (-1);
	}
	return (0);
}

static int
check_arg(const struct proto_cmd_entry *ce, const struct proto_arg *a,
    json_t *v, struct parse_error *pe)
{
	const char	*tn = proto_arg_type_name(a->type), *s, *why;
	char		 q[80];
	json_int_t	 i;

	switch (a->type) {
	case ARG_INT:
		if (!json_is_integer(v))
			break;
		i = json_integer_value(v);
		if (i >= 0 && i <= INT_MAX)
			return (0);
		perr(pe, ERR_BAD_ARGUMENT, "%s: argument \"%s\" must be %s "
		    "no larger than %d, got %" JSON_INTEGER_FORMAT,
		    ce->name, a->name, tn, INT_MAX, i);
		return (-1);
	case ARG_BOOL:
		if (json_is_boolean(v))
			return (0);
		break;
	case ARG_STRING:
	case ARG_VMNAME:
	case ARG_PATH:
		if (!json_is_string(v))
			break;
		s = json_string_value(v);
		if (strlen(s) != json_string_length(v)) {
			perr(pe, ERR_BAD_ARGUMENT, "%s: argument \"%s\" "
			    "must not contain NUL characters",
			    ce->name, a->name);
			return (-1);
		}
		proto_quote(s, q, sizeof q);
		if (a->type == ARG_VMNAME &&
		    (why = vm_name_check(s)) != NULL) {
			perr(pe, ERR_BAD_ARGUMENT, "%s: argument \"%s\" must "
			    "be %s: \"%s\": %s", ce->name, a->name, tn, q,
			    why);
			return (-1);
		}
		if (a->type == ARG_PATH && s[0] != '/') {
			perr(pe, ERR_BAD_ARGUMENT, "%s: argument \"%s\" must "
			    "be %s (starting with \"/\"), got \"%s\"",
			    ce->name, a->name, tn, q);
			return (-1);
		}
		if (a->type == ARG_PATH && strlen(s) >= PATH_MAX) {
			perr(pe, ERR_BAD_ARGUMENT, "%s: argument \"%s\" is "
			    "longer than %d bytes", ce->name, a->name,
			    PATH_MAX - 1);
			return (-1);
		}
		return (0);
	}
	perr(pe, ERR_BAD_ARGUMENT, "%s: argument \"%s\" must be %s, got %s",
	    ce->name, a->name, tn, proto_json_type(v));
	return (-1);
}

static int
check_args(const struct proto_cmd_entry *ce, json_t *req,
    struct parse_error *pe)
{
	const struct proto_arg	*a;
	json_t			*v;
	int			 i;

	if (check_unknown_fields(ce, req, pe) != 0)
		return (-1);
	for (i = 0; i < PROTO_MAX_ARGS && ce->args[i].name != NULL; i++) {
		a = &ce->args[i];
		v = json_object_get(req, a->name);
		if (v == NULL || json_is_null(v)) {
			if (!a->required)
				continue;
			perr(pe, ERR_MISSING_ARGUMENT, "%s: missing argument "
			    "\"%s\" (%s); add \"%s\": ...", ce->name, a->name,
			    proto_arg_type_name(a->type), a->name);
			return (-1);
		}
		if (check_arg(ce, a, v, pe) != 0)
			return (-1);
	}
	return (0);
}

/* Parse and validate; NULL with *pe filled on failure. */
static json_t *
request_parse(const char *line, size_t len, enum proto_cmd *cmdp,
    int *legacy, json_t **idp, struct parse_error *pe)
{
	const struct proto_cmd_entry	*ce;
	json_error_t			 jerr;
	json_t				*req, *cmd;
	size_t				 bad;

	if (len > PROTO_LINE_MAX) {
		perr(pe, ERR_LINE_TOO_LONG, "request is %zu bytes long, more "
		    "than the limit of %d; send shorter lines", len,
		    PROTO_LINE_MAX);
		return (NULL);
	}
	if ((bad = proto_utf8_bad_offset((const unsigned char *)line, len)) !=
	    len) {
		perr(pe, ERR_INVALID_UTF8, "request is not valid UTF-8: bad "
		    "byte 0x%02x at offset %zu; send UTF-8 text",
		    (unsigned char)line[bad], bad);
		return (NULL);
	}
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	if (req == NULL) {
		perr(pe, ERR_INVALID_JSON, "request is not valid JSON: %s "
		    "(column %d)", jerr.text,
		    jerr.column > 0 ? jerr.column : (int)jerr.position + 1);
		return (NULL);
	}
	if (!json_is_object(req)) {
		perr(pe, ERR_NOT_OBJECT, "request must be a JSON object such "
		    "as {\"cmd\": \"list\"}, got %s", proto_json_type(req));
		goto fail;
	}
	if ((*idp = json_object_get(req, PF_ID)) != NULL)
		json_incref(*idp);
	if ((cmd = json_object_get(req, PF_CMD)) == NULL) {
		if (json_object_get(req, "action") != NULL) {
			*legacy = 1;
			return (req);
		}
		perr(pe, ERR_MISSING_ARGUMENT, "request has no \"cmd\"; add "
		    "one such as {\"cmd\": \"list\"}");
		goto fail;
	}
	if (!json_is_string(cmd)) {
		perr(pe, ERR_BAD_ARGUMENT, "\"cmd\" must be a string naming a "
		    "command, got %s", proto_json_type(cmd));
		goto fail;
	}
	if ((ce = proto_cmd_lookup(json_string_value(cmd))) == NULL) {
		unknown_command(pe, json_string_value(cmd));
		goto fail;
	}
	if (check_args(ce, req, pe) != 0)
		goto fail;
	*cmdp = ce->cmd;
	return (req);
fail:
	json_decref(req);
	return (NULL);
}

json_t *
proto_request_parse(const char *line, size_t len, enum proto_cmd *cmdp,
    int *legacyp, enum proto_error *errp, char **msgp, json_t **idp)
{
	struct parse_error	 pe = { ERR_NONE, NULL };
	json_t			*req, *id = NULL;
	int			 legacy = 0;

	req = request_parse(line, len, cmdp, &legacy, &id, &pe);
	if (req != NULL) {
		json_decref(id);
		id = NULL;
	}
	if (legacyp != NULL)
		*legacyp = legacy;
	if (errp != NULL)
		*errp = pe.code;
	if (msgp != NULL)
		*msgp = pe.msg;
	else
		free(pe.msg);
	if (idp != NULL)
		*idp = id;
	else
		json_decref(id);
	return (req);
}
