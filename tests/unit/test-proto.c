/*
 * Unit tests of the protocol module: the tables, request validation
 * (every error a line can earn, generated from the command table), the
 * reply and event shapes, the VM object codec, the legacy messages and
 * the line framer.
 */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compat.h"
#include "proto.h"
#include "tap.h"

/* ---------------------------------------------------------- helpers */

static int
contains(const char *hay, const char *needle)
{
	return (hay != NULL && needle != NULL && strstr(hay, needle) != NULL);
}

/* Serialise j (borrowed) without the trailing newline, for comparing. */
static char *
dump(const json_t *j)
{
	size_t	 n;
	char	*s;

	if ((s = proto_dump(j, &n)) == NULL)
		return (NULL);
	if (n > 0 && s[n - 1] == '\n')
		s[n - 1] = '\0';
	return (s);
}

static void
is_json(json_t *j, const char *want, const char *desc)
{
	char	*s = dump(j);

	is_str(s, want, "%s", desc);
	free(s);
	json_decref(j);
}

/*
 * Parse a line expected to fail with err; the message must contain
 * needle (when given).  Returns the echoed id (new reference or NULL).
 */
static json_t *
parse_fail_len(const char *line, size_t len, enum proto_error want,
    const char *needle, const char *desc)
{
	enum proto_error	 err = ERR_NONE;
	enum proto_cmd		 cmd;
	json_t			*req, *id = NULL;
	char			*msg = NULL;
	int			 legacy = -1;

	req = proto_request_parse(line, len, &cmd, &legacy, &err, &msg, &id);
	ok(req == NULL && err == want, "%s: %s", desc,
	    proto_error_name(want));
	if (req != NULL || err != want)
		printf("#   got %s: %s\n", req != NULL ? "success" :
		    proto_error_name(err), msg != NULL ? msg : "(no message)");
	if (needle != NULL) {
		ok(contains(msg, needle), "%s: message names \"%s\"", desc,
		    needle);
		if (!contains(msg, needle))
			printf("#   message: %s\n", msg ? msg : "(null)");
	}
	json_decref(req);
	free(msg);
	return (id);
}

static void
parse_fail(const char *line, enum proto_error want, const char *needle,
    const char *desc)
{
	json_t	*id;

	id = parse_fail_len(line, strlen(line), want, needle, desc);
	json_decref(id);
}

/* Parse a line expected to pass as cmd; returns the request. */
static json_t *
parse_ok(const char *line, enum proto_cmd want, const char *desc)
{
	enum proto_error	 err = ERR_NONE;
	enum proto_cmd		 cmd = PROTO_NCMDS;
	json_t			*req, *id = NULL;
	char			*msg = NULL;
	int			 legacy = -1;

	req = proto_request_parse(line, strlen(line), &cmd, &legacy, &err,
	    &msg, &id);
	ok(req != NULL && cmd == want && legacy == 0 && err == ERR_NONE &&
	    msg == NULL, "%s: parses as %s", desc, proto_cmds[want].name);
	if (req == NULL)
		printf("#   got %s: %s\n", proto_error_name(err), msg);
	json_decref(id);
	free(msg);
	return (req);
}

/* ---------------------------------------------------------- tables */

static void
check_names(const char *what, const char *const *names, int n,
    const char *const *want, int nwant, int (*from)(const char *))
{
	int	 i, j, good;

	is_int(n, nwant, "%s: %d names", what, nwant);
	for (i = 0; i < n; i++) {
		ok(names[i] != NULL && names[i][0] != '\0',
		    "%s %d has a name", what, i);
		if (names[i] == NULL)
			continue;
		if (i < nwant)
			is_str(names[i], want[i], "%s %d is \"%s\"", what, i,
			    want[i]);
		good = 1;
		for (j = 0; j < i; j++) {
			if (names[j] != NULL && strcmp(names[j], names[i]) == 0)
				good = 0;
		}
		ok(good, "%s \"%s\" is not a duplicate", what, names[i]);
		if (from != NULL)
			is_int(from(names[i]), i, "%s \"%s\" maps back to %d",
			    what, names[i], i);
	}
	if (from != NULL) {
		is_int(from("no-such-name"), -1, "%s: unknown name is -1",
		    what);
		is_int(from(NULL), -1, "%s: NULL name is -1", what);
	}
}

/* Render a command's spec as "R|M|- arg!:type arg:type ...". */
static void
spec_string(const struct proto_cmd_entry *ce, char *buf, size_t size)
{
	static const char *const types[] = { "string", "vmname", "path",
	    "int", "bool" };
	size_t	 n;
	int	 i;

	n = snprintf(buf, size, "%s%s", ce->flags & CMD_F_READONLY ? "R" : "",
	    ce->flags & CMD_F_MUTATES ? "M" : "");
	if (ce->flags == 0)
		n = snprintf(buf, size, "-");
	for (i = 0; i < PROTO_MAX_ARGS && ce->args[i].name != NULL; i++)
		n += snprintf(buf + n, size - n, " %s%s:%s", ce->args[i].name,
		    ce->args[i].required ? "!" : "",
		    (unsigned)ce->args[i].type < nitems(types) ?
		    types[ce->args[i].type] : "?");
}

/* The commands as the design defines them; the table must match. */
static void
test_cmd_specs(void)
{
	static const struct {
		enum proto_cmd	 cmd;
		const char	*spec;
	} want[] = {
		{ CMD_HELLO, "R version!:int" },
		{ CMD_LIST, "R" },
		{ CMD_STATUS, "R name!:vmname" },
		{ CMD_START, "M name!:vmname wait:bool" },
		{ CMD_STOP, "M name!:vmname timeout:int wait:bool" },
		{ CMD_POWEROFF, "M name!:vmname wait:bool" },
		{ CMD_RESET, "M name!:vmname" },
		{ CMD_RESTART, "M name!:vmname timeout:int wait:bool" },
		{ CMD_ATTACH_ISO, "M name!:vmname path!:path boot:bool" },
		{ CMD_DETACH_ISO, "M name!:vmname" },
		{ CMD_LIST_ISOS, "R" },
		{ CMD_RELOAD, "-" },
		{ CMD_SUBSCRIBE, "R" },
		{ CMD_CONSOLE, "- name!:vmname" },
		{ CMD_CONSOLE_LOG, "R name!:vmname lines:int" },
		{ CMD_SHOW_COMMAND, "R name!:vmname" },
		{ CMD_START_ALL, "M" },
		{ CMD_STOP_ALL, "M" },
		{ CMD_CREATE, "M name!:vmname disk_size!:string memory_mb:int "
		    "cpus:int sockets:int cores:int threads:int disk_dir:path "
		    "zfs_dataset:string recordsize:string iso:path bridge:string "
		    "mac:string firmware:string" },
		{ CMD_DELETE, "M name!:vmname" },
	};
	char	 buf[256];
	size_t	 i;

	is_int(nitems(want), PROTO_NCMDS, "every command has a spec here");
	for (i = 0; i < nitems(want); i++) {
		spec_string(&proto_cmds[want[i].cmd], buf, sizeof buf);
		is_str(buf, want[i].spec, "command %s: flags and arguments",
		    proto_cmds[want[i].cmd].name);
	}
}

static void
test_tables(void)
{
	static const char *const states[] = { "stopped", "starting",
	    "running", "stopping", "rebooting", "failed" };
	static const char *const exits[] = { "none", "reboot", "poweroff",
	    "halt", "triple-fault", "error", "signal", "forced",
	    "start-failed", "monitor-lost", "crash-loop" };
	static const char *const stops[] = { "graceful", "forced",
	    "already-stopped" };
	static const char *const errors[] = { "none", "invalid-json",
	    "invalid-utf8", "line-too-long", "not-an-object",
	    "unknown-command", "missing-argument", "bad-argument",
	    "version-mismatch", "no-such-vm", "permission-denied", "busy",
	    "not-running", "invalid-config", "failed", "internal" };
	static const char *const cmds[] = { "hello", "list", "status",
	    "start", "stop", "poweroff", "reset", "restart", "attach-iso",
	    "detach-iso", "list-isos", "reload", "subscribe", "console",
	    "console-log", "show-command", "start-all", "stop-all", "create",
	    "delete" };
	const char	*cmdnames[PROTO_NCMDS];
	int		 i;

	check_names("state", proto_state_names, VM_NSTATES, states,
	    nitems(states), proto_state_from_name);
	check_names("exit", proto_exit_names, VM_NEXITS, exits,
	    nitems(exits), proto_exit_from_name);
	check_names("stop outcome", proto_stop_names, VM_NSTOPS, stops,
	    nitems(stops), proto_stop_from_name);
	check_names("error", proto_error_names, PROTO_NERRORS, errors,
	    nitems(errors), proto_error_from_name);
	for (i = 0; i < PROTO_NCMDS; i++)
		cmdnames[i] = proto_cmds[i].name;
	check_names("command", cmdnames, PROTO_NCMDS, cmds, nitems(cmds),
	    NULL);

	for (i = 0; i < VM_NSTATES; i++)
		is_str(proto_state_name(i), proto_state_names[i],
		    "proto_state_name(%d)", i);
	for (i = 0; i < VM_NEXITS; i++)
		is_str(proto_exit_name(i), proto_exit_names[i],
		    "proto_exit_name(%d)", i);
	for (i = 0; i < VM_NSTOPS; i++)
		is_str(proto_stop_name(i), proto_stop_names[i],
		    "proto_stop_name(%d)", i);
	for (i = 0; i < PROTO_NERRORS; i++)
		is_str(proto_error_name(i), proto_error_names[i],
		    "proto_error_name(%d)", i);
	is_str(proto_state_name(VM_NSTATES), "unknown",
	    "out-of-range state has a printable name");
	is_str(proto_exit_name(VM_NEXITS), "unknown",
	    "out-of-range exit has a printable name");

	for (i = 0; i < PROTO_NCMDS; i++) {
		const struct proto_cmd_entry	*ce = &proto_cmds[i];
		int				 j, k, good = 1, end = 0;

		if (ce->name == NULL)
			continue;
		is_int(ce->cmd, i, "command %s: .cmd is its index", ce->name);
		ok(proto_cmd_lookup(ce->name) == ce, "command %s: lookup",
		    ce->name);
		ok(ce->help != NULL && ce->help[0] != '\0',
		    "command %s: has help", ce->name);
		ok((ce->flags & CMD_F_READONLY) == 0 ||
		    (ce->flags & CMD_F_MUTATES) == 0,
		    "command %s: not both read-only and mutating", ce->name);
		for (j = 0; j < PROTO_MAX_ARGS; j++) {
			const struct proto_arg	*a = &ce->args[j];

			if (a->name == NULL) {
				end = 1;
				continue;
			}
			if (end || strcmp(a->name, PF_ID) == 0 ||
			    strcmp(a->name, PF_CMD) == 0 ||
			    (unsigned)a->type > ARG_BOOL ||
			    proto_cmd_arg(ce, a->name) != a)
				good = 0;
			for (k = 0; k < j; k++) {
				if (ce->args[k].name != NULL &&
				    strcmp(ce->args[k].name, a->name) == 0)
					good = 0;
			}
		}
		ok(good, "command %s: argument spec is well formed",
		    ce->name);
	}
	test_cmd_specs();
	ok(proto_cmd_lookup("no-such-command") == NULL,
	    "unknown command: lookup is NULL");
	ok(proto_cmd_lookup(NULL) == NULL, "NULL command: lookup is NULL");
	ok(proto_cmds[CMD_LIST].flags & CMD_F_READONLY, "list is read-only");
	ok(!(proto_cmds[CMD_START].flags & CMD_F_READONLY),
	    "start is not read-only");
	ok(!(proto_cmds[CMD_CONSOLE].flags & CMD_F_READONLY),
	    "console is not read-only (it sends keystrokes)");
	ok(!(proto_cmds[CMD_RELOAD].flags & CMD_F_READONLY),
	    "reload is not read-only");
	for (i = ARG_STRING; i <= ARG_BOOL; i++)
		ok(proto_arg_type_name(i) != NULL &&
		    proto_arg_type_name(i)[0] != '\0',
		    "argument type %d has a name", i);
}

/* ---------------------------------------------------------- UTF-8 */

static void
test_utf8(void)
{
	static const struct {
		const char	*s;
		size_t		 len;
		int		 valid;
		const char	*desc;
	} t[] = {
#define U(s, v, d)	{ s, sizeof(s) - 1, v, d }
		U("", 1, "empty"),
		U("plain ascii", 1, "ASCII"),
		U("\xc3\xa9", 1, "U+00E9, 2 bytes"),
		U("\xe2\x82\xac", 1, "U+20AC, 3 bytes"),
		U("\xf0\x9f\x98\x80", 1, "U+1F600, 4 bytes"),
		U("\xf4\x8f\xbf\xbf", 1, "U+10FFFF, the last"),
		U("\xed\x9f\xbf", 1, "U+D7FF, before the surrogates"),
		U("\xee\x80\x80", 1, "U+E000, after the surrogates"),
		U("\xef\xbf\xbf", 1, "U+FFFF"),
		U("\xc0\xaf", 0, "overlong '/' in 2 bytes (C0)"),
		U("\xc1\xbf", 0, "overlong in 2 bytes (C1)"),
		U("\xe0\x80\xaf", 0, "overlong '/' in 3 bytes"),
		U("\xe0\x9f\xbf", 0, "overlong U+07FF in 3 bytes"),
		U("\xf0\x80\x80\xaf", 0, "overlong '/' in 4 bytes"),
		U("\xf0\x8f\xbf\xbf", 0, "overlong U+FFFF in 4 bytes"),
		U("\xed\xa0\x80", 0, "surrogate U+D800"),
		U("\xed\xbf\xbf", 0, "surrogate U+DFFF"),
		U("\xf4\x90\x80\x80", 0, "U+110000, beyond Unicode"),
		U("\xf5\x80\x80\x80", 0, "lead byte F5"),
		U("\xff", 0, "byte FF"),
		U("\xfe", 0, "byte FE"),
		U("\x80", 0, "lone continuation byte"),
		U("\xc3", 0, "truncated 2-byte sequence"),
		U("\xe2\x82", 0, "truncated 3-byte sequence"),
		U("\xf0\x9f\x98", 0, "truncated 4-byte sequence"),
		U("\xc3\x28", 0, "bad continuation byte"),
		U("ok\xe2\x28\xa1", 0, "bad second byte of 3"),
		U("a\xc3\xa9z\xe2\x82", 0, "valid start, truncated end"),
#undef U
	};
	char	 line[128];
	size_t	 i, n;

	for (i = 0; i < nitems(t); i++) {
		is_int(proto_utf8_valid(t[i].s, t[i].len), t[i].valid,
		    "utf8: %s is %s", t[i].desc,
		    t[i].valid ? "valid" : "invalid");
		if (t[i].valid)
			continue;
		n = snprintf(line, sizeof line, "{\"cmd\":\"status\","
		    "\"name\":\"%s\"}", t[i].s);
		json_decref(parse_fail_len(line, n, ERR_INVALID_UTF8,
		    "UTF-8", t[i].desc));
	}
	ok(proto_utf8_valid("a\0b", 3), "utf8: NUL is valid UTF-8");
}

/* ---------------------------------------------------------- requests */

static void
test_bad_lines(void)
{
	json_t	*id;
	char	*big;
	size_t	 i;

	parse_fail("{", ERR_INVALID_JSON, "column", "unterminated object");
	parse_fail("", ERR_INVALID_JSON, NULL, "empty line");
	parse_fail("   ", ERR_INVALID_JSON, NULL, "blank line");
	parse_fail("{\"cmd\":}", ERR_INVALID_JSON, "column", "missing value");
	parse_fail("{'cmd':'list'}", ERR_INVALID_JSON, NULL, "single quotes");
	parse_fail("{\"cmd\":\"list\"} {}", ERR_INVALID_JSON, NULL,
	    "two objects on one line");
	parse_fail("{\"cmd\":\"list\",}", ERR_INVALID_JSON, NULL,
	    "trailing comma");
	parse_fail("{\"cmd\":\"list\",\"cmd\":\"list\"}", ERR_INVALID_JSON,
	    "duplicate", "duplicate key");
	parse_fail("{\"cmd\":\"li\\u0000st\"}", ERR_INVALID_JSON, NULL,
	    "escaped NUL in a string");
	parse_fail("{\"cmd\":\"hello\",\"version\":"
	    "99999999999999999999999999}", ERR_INVALID_JSON, NULL,
	    "integer too big for JSON decoding");
	parse_fail("{\"cmd\":\"hello\",\"version\":1e999}", ERR_INVALID_JSON,
	    NULL, "real number overflow");
	parse_fail("{\"cmd\":\"list\"\x01}", ERR_INVALID_JSON, NULL,
	    "control character");
	json_decref(parse_fail_len("{\"cmd\":\"list\"}\0x", 16,
	    ERR_INVALID_JSON, NULL, "NUL byte after the object"));

	/*
	 * Deep nesting must be refused, not recursed into: over the line
	 * limit by length, under it by jansson's depth limit.
	 */
	big = malloc(200001);
	memset(big, '[', 100000);
	json_decref(parse_fail_len(big, 100000, ERR_LINE_TOO_LONG, NULL,
	    "100000 '['"));
	json_decref(parse_fail_len(big, 65000, ERR_INVALID_JSON, "depth",
	    "65000 '[' (unbalanced)"));
	memset(big + 30000, ']', 30000);
	json_decref(parse_fail_len(big, 60000, ERR_INVALID_JSON, "depth",
	    "30000 '[' balanced"));
	for (i = 0; i + 5 <= 60000; i += 5)
		memcpy(big + i, "{\"a\":", 5);
	json_decref(parse_fail_len(big, i, ERR_INVALID_JSON, NULL,
	    "12000 nested objects"));
	free(big);
	{
		json_error_t	 jerr;
		json_t		*deep;

		big = malloc(100001);
		memset(big, '[', 100000);
		deep = json_loadb(big, 100000, JSON_DECODE_ANY, &jerr);
		ok(deep == NULL, "jansson refuses 100000 '[' (no crash)");
		json_decref(deep);
		free(big);
	}

	/* Length is checked before anything else. */
	big = malloc(PROTO_LINE_MAX + 2);
	memset(big, ' ', PROTO_LINE_MAX + 1);
	memcpy(big, "{\"cmd\":\"list\"}", 14);
	json_decref(parse_fail_len(big, PROTO_LINE_MAX + 1,
	    ERR_LINE_TOO_LONG, "65536", "line one byte over the limit"));
	{
		enum proto_cmd	 cmd;
		json_t		*req;

		req = proto_request_parse(big, PROTO_LINE_MAX, &cmd, NULL,
		    NULL, NULL, NULL);
		ok(req != NULL && cmd == CMD_LIST,
		    "line exactly at the limit parses");
		json_decref(req);
	}
	free(big);

	parse_fail("[]", ERR_NOT_OBJECT, "an array", "array");
	parse_fail("[{\"cmd\":\"list\"}]", ERR_NOT_OBJECT, NULL,
	    "request in an array");
	parse_fail("42", ERR_NOT_OBJECT, "an integer", "number");
	parse_fail("\"list\"", ERR_NOT_OBJECT, "a string", "string");
	parse_fail("null", ERR_NOT_OBJECT, "null", "null");
	parse_fail("true", ERR_NOT_OBJECT, NULL, "true");

	parse_fail("{}", ERR_MISSING_ARGUMENT, "\"cmd\"", "empty object");
	parse_fail("{\"name\":\"vm1\"}", ERR_MISSING_ARGUMENT, "\"cmd\"",
	    "object without cmd");
	parse_fail("{\"cmd\":5}", ERR_BAD_ARGUMENT, "\"cmd\"",
	    "cmd is a number");
	parse_fail("{\"cmd\":null}", ERR_BAD_ARGUMENT, "\"cmd\"",
	    "cmd is null");
	parse_fail("{\"cmd\":[\"list\"]}", ERR_BAD_ARGUMENT, "an array",
	    "cmd is an array");

	parse_fail("{\"cmd\":\"strat\",\"name\":\"vm1\"}",
	    ERR_UNKNOWN_COMMAND, "did you mean \"start\"", "typo strat");
	parse_fail("{\"cmd\":\"attach_iso\"}", ERR_UNKNOWN_COMMAND,
	    "did you mean \"attach-iso\"", "attach_iso for attach-iso");
	parse_fail("{\"cmd\":\"lsit\"}", ERR_UNKNOWN_COMMAND,
	    "\"lsit\"", "typo lsit named");
	parse_fail("{\"cmd\":\"xyzzy\"}", ERR_UNKNOWN_COMMAND, "\"xyzzy\"",
	    "unknown command named");
	parse_fail("{\"cmd\":\"xyzzy\"}", ERR_UNKNOWN_COMMAND,
	    "known commands: hello, list", "unknown command lists commands");
	parse_fail("{\"cmd\":\"\"}", ERR_UNKNOWN_COMMAND, NULL,
	    "empty command");
	parse_fail("{\"cmd\":\"LIST\"}", ERR_UNKNOWN_COMMAND, NULL,
	    "commands are case-sensitive");

	/* Long names in messages are cut, at a character boundary. */
	{
		char		 line[600], *msg = NULL;
		enum proto_error err;
		enum proto_cmd	 cmd;
		size_t		 n;

		n = snprintf(line, sizeof line, "{\"cmd\":\"");
		for (i = 0; i < 150; i++)
			n += snprintf(line + n, sizeof line - n, "\xc3\xa9");
		n += snprintf(line + n, sizeof line - n, "\"}");
		ok(proto_request_parse(line, n, &cmd, NULL, &err, &msg,
		    NULL) == NULL && err == ERR_UNKNOWN_COMMAND,
		    "long non-ASCII command: unknown-command");
		ok(msg != NULL && strlen(msg) < 400 &&
		    proto_utf8_valid(msg, strlen(msg)) &&
		    contains(msg, "..."),
		    "long non-ASCII command: message cut, still UTF-8");
		free(msg);
	}

	/* The id is echoed whenever the line is an object. */
	id = parse_fail_len("{\"id\":7,\"cmd\":\"nope\"}", 21,
	    ERR_UNKNOWN_COMMAND, NULL, "numeric id");
	ok(json_is_integer(id) && json_integer_value(id) == 7,
	    "numeric id echoed");
	json_decref(id);
	id = parse_fail_len("{\"id\":\"abc\"}", 12, ERR_MISSING_ARGUMENT,
	    NULL, "string id, no cmd");
	ok(json_is_string(id) && strcmp(json_string_value(id), "abc") == 0,
	    "string id echoed");
	json_decref(id);
	id = parse_fail_len("{\"id\":{\"x\":[1]},\"cmd\":\"status\"}", 31,
	    ERR_MISSING_ARGUMENT, "\"name\"", "object id, missing name");
	ok(json_is_object(id) && json_object_get(id, "x") != NULL,
	    "object id echoed (any type is fine)");
	json_decref(id);
	id = parse_fail_len("{\"id\":null,\"cmd\":1}", 19, ERR_BAD_ARGUMENT,
	    NULL, "null id");
	ok(json_is_null(id), "null id echoed as null");
	json_decref(id);
	id = parse_fail_len("[1]", 3, ERR_NOT_OBJECT, NULL, "array");
	ok(id == NULL, "no id from a non-object");
	id = parse_fail_len("{\"id\":1", 7, ERR_INVALID_JSON, NULL,
	    "broken JSON");
	ok(id == NULL, "no id from broken JSON");
	{
		enum proto_error	 err;
		enum proto_cmd		 cmd;
		json_t			*req;
		char			*msg = NULL;
		int			 legacy;

		id = NULL;
		req = proto_request_parse("{\"id\":[2],\"cmd\":\"list\"}", 23,
		    &cmd, &legacy, &err, &msg, &id);
		ok(req != NULL && id == NULL && msg == NULL &&
		    err == ERR_NONE, "no id returned on success (it is in "
		    "the request)");
		ok(json_is_array(json_object_get(req, PF_ID)),
		    "the request keeps its id");
		json_decref(req);
		json_decref(id);
	}
}

/* A valid value and some wrong ones for each argument type. */
static const char *
arg_valid(enum proto_arg_type t)
{
	switch (t) {
	case ARG_STRING:
		return ("\"text\"");
	case ARG_VMNAME:
		return ("\"vm1\"");
	case ARG_PATH:
		return ("\"/iso/boot.iso\"");
	case ARG_INT:
		return ("5");
	case ARG_BOOL:
		return ("true");
	}
	return ("null");
}

static const char *const *
arg_wrong(enum proto_arg_type t)
{
	static const char *const str[] = { "5", "true", "[]", "{}", NULL };
	static const char *const name[] = { "5", "\"\"", "\"-vm\"",
	    "\"vm/1\"", "\"../etc\"", "\"a b\"", "\"v\xc3\xa9m\"",
	    "\"abcdefghijklmnopqrstuvwxyz0123456\"", "[\"vm1\"]", NULL };
	static const char *const path[] = { "5", "\"\"", "\"boot.iso\"",
	    "\"./boot.iso\"", "\"~/boot.iso\"", "false", NULL };
	static const char *const num[] = { "\"5\"", "-1", "1.5", "1e3",
	    "true", "2147483648", "-9223372036854775808", "[5]", NULL };
	static const char *const boolean[] = { "1", "0", "\"true\"", "\"yes\"",
	    "[]", NULL };

	switch (t) {
	case ARG_STRING:
		return (str);
	case ARG_VMNAME:
		return (name);
	case ARG_PATH:
		return (path);
	case ARG_INT:
		return (num);
	case ARG_BOOL:
		return (boolean);
	}
	return (str);
}

/*
 * Build a request for ce: every argument with a valid value (optional
 * ones only when all is set), except skip (left out) and override (set
 * to value).
 */
static char *
build(const struct proto_cmd_entry *ce, int all, const char *skip,
    const char *override, const char *value, const char *extra)
{
	char	 buf[1024];
	size_t	 n;
	int	 i;

	n = snprintf(buf, sizeof buf, "{\"id\":1,\"cmd\":\"%s\"", ce->name);
	for (i = 0; i < PROTO_MAX_ARGS && ce->args[i].name != NULL; i++) {
		const struct proto_arg	*a = &ce->args[i];

		if (skip != NULL && strcmp(skip, a->name) == 0)
			continue;
		if (override != NULL && strcmp(override, a->name) == 0)
			n += snprintf(buf + n, sizeof buf - n, ",\"%s\":%s",
			    a->name, value);
		else if (all || a->required)
			n += snprintf(buf + n, sizeof buf - n, ",\"%s\":%s",
			    a->name, arg_valid(a->type));
	}
	if (extra != NULL)
		n += snprintf(buf + n, sizeof buf - n, ",%s", extra);
	snprintf(buf + n, sizeof buf - n, "}");
	return (strdup(buf));
}

static void
test_commands(void)
{
	const struct proto_cmd_entry	*ce;
	const struct proto_arg		*a;
	const char *const		*w;
	char				*line, desc[160], want[160];
	json_t				*req;
	int				 i, j;

	for (i = 0; i < PROTO_NCMDS; i++) {
		ce = &proto_cmds[i];
		line = build(ce, 0, NULL, NULL, NULL, NULL);
		snprintf(desc, sizeof desc, "%s with required args", ce->name);
		json_decref(parse_ok(line, i, desc));
		free(line);
		line = build(ce, 1, NULL, NULL, NULL, NULL);
		snprintf(desc, sizeof desc, "%s with all args", ce->name);
		req = parse_ok(line, i, desc);
		ok(req != NULL && json_is_string(json_object_get(req, PF_CMD)),
		    "%s: the request object is returned", ce->name);
		json_decref(req);
		free(line);

		line = build(ce, 0, NULL, NULL, NULL, "\"bogus\":1");
		snprintf(desc, sizeof desc, "%s with an unknown field",
		    ce->name);
		parse_fail(line, ERR_BAD_ARGUMENT, "\"bogus\"", desc);
		free(line);

		for (j = 0; j < PROTO_MAX_ARGS && ce->args[j].name; j++) {
			a = &ce->args[j];
			if (a->required) {
				line = build(ce, 1, a->name, NULL, NULL,
				    NULL);
				snprintf(desc, sizeof desc, "%s without %s",
				    ce->name, a->name);
				snprintf(want, sizeof want, "\"%s\"", a->name);
				parse_fail(line, ERR_MISSING_ARGUMENT, want,
				    desc);
				free(line);
				line = build(ce, 1, NULL, a->name, "null",
				    NULL);
				snprintf(desc, sizeof desc, "%s with %s null",
				    ce->name, a->name);
				parse_fail(line, ERR_MISSING_ARGUMENT, want,
				    desc);
				free(line);
			} else {
				line = build(ce, 1, NULL, a->name, "null",
				    NULL);
				snprintf(desc, sizeof desc, "%s with optional "
				    "%s null", ce->name, a->name);
				json_decref(parse_ok(line, i, desc));
				free(line);
			}
			for (w = arg_wrong(a->type); *w != NULL; w++) {
				line = build(ce, 1, NULL, a->name, *w, NULL);
				snprintf(desc, sizeof desc, "%s with %s=%s",
				    ce->name, a->name, *w);
				snprintf(want, sizeof want, "\"%s\"", a->name);
				parse_fail(line, ERR_BAD_ARGUMENT, want, desc);
				parse_fail(line, ERR_BAD_ARGUMENT,
				    proto_arg_type_name(a->type), desc);
				free(line);
			}
		}
	}

	/* Boundaries and messages, by hand. */
	parse_fail("{\"cmd\":\"start\",\"nmae\":\"vm1\"}", ERR_BAD_ARGUMENT,
	    "did you mean \"name\"", "misspelt argument");
	parse_fail("{\"cmd\":\"list\",\"name\":\"vm1\"}", ERR_BAD_ARGUMENT,
	    "no arguments", "list takes no arguments");
	parse_fail("{\"cmd\":\"start\",\"name\":\"vm1\",\"action\":\"x\"}",
	    ERR_BAD_ARGUMENT, "\"action\"", "cmd and action together");
	json_decref(parse_ok("{\"cmd\":\"stop\",\"name\":\"vm1\","
	    "\"timeout\":2147483647}", CMD_STOP, "timeout INT_MAX"));
	json_decref(parse_ok("{\"cmd\":\"stop\",\"name\":\"vm1\","
	    "\"timeout\":0}", CMD_STOP, "timeout 0"));
	json_decref(parse_ok("{\"cmd\":\"status\",\"name\":"
	    "\"abcdefghijklmnopqrstuvwxyz01234\"}", CMD_STATUS,
	    "31-character name"));
	json_decref(parse_ok("{\"cmd\":\"status\",\"name\":\"0_a-B\"}",
	    CMD_STATUS, "name of digits, letters, '_' and '-'"));
	json_decref(parse_ok("{\"cmd\":\"attach-iso\",\"name\":\"vm1\","
	    "\"path\":\"/iso/\xc3\xa9t\xc3\xa9 1.iso\"}", CMD_ATTACH_ISO,
	    "non-ASCII path with a space"));
	json_decref(parse_ok("  {\"cmd\" : \"list\"}  ", CMD_LIST,
	    "whitespace around the object"));
	json_decref(parse_ok("{\"cmd\":\"hello\",\"version\":1}", CMD_HELLO,
	    "hello"));
}

/* ---------------------------------------------------------- replies */

static void
test_replies(void)
{
	json_t	*id, *j;
	char	*s;
	size_t	 n;

	id = json_integer(7);
	is_json(proto_reply_ok(id, json_pack("{s:i}", "a", 1)),
	    "{\"id\":7,\"ok\":true,\"result\":{\"a\":1}}", "ok reply");
	is_json(proto_reply_ok(NULL, NULL), "{\"ok\":true,\"result\":{}}",
	    "ok reply without id or result");
	is_json(proto_reply_error(id, ERR_NO_SUCH_VM, "vm %s: no such VM",
	    "vm9"), "{\"id\":7,\"ok\":false,\"error\":{\"code\":"
	    "\"no-such-vm\",\"message\":\"vm vm9: no such VM\"}}",
	    "error reply");
	is_int(id->refcount, 1, "the id is borrowed, not stolen");
	json_decref(id);
	is_json(proto_reply_error(json_null(), ERR_BUSY, "busy"),
	    "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"busy\","
	    "\"message\":\"busy\"}}", "error reply with null id");
	is_json(proto_reply_error(NULL, ERR_FAILED, "bad %s", "\xff\xfe"),
	    "{\"ok\":false,\"error\":{\"code\":\"failed\",\"message\":"
	    "\"bad ??\"}}", "message with invalid UTF-8 is made safe");
	is_json(proto_event(PROTO_EV_REMOVED, json_pack("{s:s}", PF_NAME,
	    "vm1")), "{\"event\":\"vm-removed\",\"name\":\"vm1\"}",
	    "event with a body");
	is_json(proto_event(PROTO_EV_STATE, NULL), "{\"event\":\"state\"}",
	    "event without a body");

	j = json_pack("{s:s,s:s}", "text", "two\nlines", "u", "\xc3\xa9");
	s = proto_dump(j, &n);
	is_int(n, strlen(s), "dump: length returned");
	ok(n > 0 && s[n - 1] == '\n' && memchr(s, '\n', n - 1) == NULL,
	    "dump: exactly one line, newline-terminated");
	is_str(s, "{\"text\":\"two\\nlines\",\"u\":\"\xc3\xa9\"}\n",
	    "dump: compact, UTF-8 kept as is");
	free(s);
	json_decref(j);
	j = json_integer(3);
	s = proto_dump(j, NULL);
	is_str(s, "3\n", "dump: any value (length pointer optional)");
	free(s);
	json_decref(j);
}

/* ---------------------------------------------------------- VM object */

static void
test_vm(void)
{
	struct vm_info	 vi, back;
	json_t		*j;
	char		*s, *cause;
	int		 i;

	proto_vm_info_init(&vi);
	vi.name = strdup("vm1");
	j = proto_vm_to_json(&vi);
	s = dump(j);
	is_str(s, "{\"name\":\"vm1\",\"state\":\"stopped\",\"pid\":null,"
	    "\"vcpus\":0,\"memory_mb\":0,\"vnc_host\":null,\"vnc_port\":null,"
	    "\"uptime_s\":null,\"iso\":null,\"last_exit\":null,"
	    "\"last_exit_time\":0,\"console\":false,\"waiting_for\":null}",
	    "stopped VM: nulls where not applicable");
	free(s);
	cause = NULL;
	ok(proto_vm_from_json(j, &back, &cause) == 0, "stopped VM decodes");
	ok(back.pid == -1 && back.vnc_port == -1 && back.uptime_s == -1 &&
	    back.vnc_host == NULL && back.iso == NULL &&
	    back.waiting_for == NULL && back.last_exit == VM_EXIT_NONE,
	    "nulls decode to 'none' values");
	proto_vm_info_clear(&back);
	json_decref(j);
	proto_vm_info_clear(&vi);
	ok(vi.name == NULL && vi.pid == -1, "clear resets the info");

	vi.name = strdup("web-01");
	vi.state = VM_RUNNING;
	vi.pid = 4242;
	vi.vcpus = 4;
	vi.memory_mb = 2048;
	vi.vnc_host = strdup("127.0.0.1");
	vi.vnc_port = 5901;
	vi.uptime_s = 3600;
	vi.iso = strdup("/iso/FreeBSD-14.1-RELEASE-amd64-disc1.iso");
	vi.last_exit = VM_EXIT_TRIPLEFAULT;
	vi.last_exit_time = 1700000000;
	vi.console = 1;
	vi.waiting_for = strdup("/dev/zvol/tank/web-01");
	j = proto_vm_to_json(&vi);
	s = dump(j);
	is_str(s, "{\"name\":\"web-01\",\"state\":\"running\",\"pid\":4242,"
	    "\"vcpus\":4,\"memory_mb\":2048,\"vnc_host\":\"127.0.0.1\","
	    "\"vnc_port\":5901,\"uptime_s\":3600,\"iso\":"
	    "\"/iso/FreeBSD-14.1-RELEASE-amd64-disc1.iso\",\"last_exit\":"
	    "\"triple-fault\",\"last_exit_time\":1700000000,\"console\":true,"
	    "\"waiting_for\":\"/dev/zvol/tank/web-01\"}",
	    "running VM: every field");
	json_decref(j);
	j = json_loads(s, 0, NULL);
	free(s);
	ok(proto_vm_from_json(j, &back, &cause) == 0,
	    "running VM decodes from text");
	json_decref(j);
	ok(strcmp(back.name, vi.name) == 0 && back.state == vi.state &&
	    back.pid == vi.pid && back.vcpus == vi.vcpus &&
	    back.memory_mb == vi.memory_mb &&
	    strcmp(back.vnc_host, vi.vnc_host) == 0 &&
	    back.vnc_port == vi.vnc_port && back.uptime_s == vi.uptime_s &&
	    strcmp(back.iso, vi.iso) == 0 && back.last_exit == vi.last_exit &&
	    back.last_exit_time == vi.last_exit_time &&
	    back.console == vi.console &&
	    strcmp(back.waiting_for, vi.waiting_for) == 0,
	    "running VM: round trip keeps every field");
	proto_vm_info_clear(&back);

	for (i = 0; i < VM_NSTATES; i++) {
		vi.state = i;
		j = proto_vm_to_json(&vi);
		ok(proto_vm_from_json(j, &back, &cause) == 0 &&
		    back.state == (enum vm_state)i, "state %s round trip",
		    proto_state_names[i]);
		proto_vm_info_clear(&back);
		json_decref(j);
	}
	for (i = 0; i < VM_NEXITS; i++) {
		vi.last_exit = i;
		j = proto_vm_to_json(&vi);
		ok(proto_vm_from_json(j, &back, &cause) == 0 &&
		    back.last_exit == (enum vm_exit)i, "exit %s round trip",
		    proto_exit_names[i]);
		proto_vm_info_clear(&back);
		json_decref(j);
	}
	proto_vm_info_clear(&vi);

	{
		static const struct {
			const char	*json;
			const char	*needle;
		} bad[] = {
			{ "[]", "object" },
			{ "{\"state\":\"running\"}", "\"name\"" },
			{ "{\"name\":\"../x\",\"state\":\"running\"}",
			    "\"name\"" },
			{ "{\"name\":\"vm1\"}", "\"state\"" },
			{ "{\"name\":\"vm1\",\"state\":\"sleeping\"}",
			    "\"state\"" },
			{ "{\"name\":\"vm1\",\"state\":\"running\","
			    "\"pid\":\"12\"}", "\"pid\"" },
			{ "{\"name\":\"vm1\",\"state\":\"running\","
			    "\"vnc_port\":70000}", "\"vnc_port\"" },
			{ "{\"name\":\"vm1\",\"state\":\"running\","
			    "\"uptime_s\":-5}", "\"uptime_s\"" },
			{ "{\"name\":\"vm1\",\"state\":\"running\","
			    "\"last_exit\":\"exploded\"}", "\"last_exit\"" },
			{ "{\"name\":\"vm1\",\"state\":\"running\","
			    "\"console\":\"yes\"}", "\"console\"" },
			{ "{\"name\":\"vm1\",\"state\":\"running\","
			    "\"iso\":5}", "\"iso\"" },
		};
		size_t	 k;

		for (k = 0; k < nitems(bad); k++) {
			j = json_loads(bad[k].json, JSON_DECODE_ANY, NULL);
			cause = NULL;
			ok(proto_vm_from_json(j, &back, &cause) == -1 &&
			    contains(cause, bad[k].needle) &&
			    back.name == NULL, "bad VM object %s refused",
			    bad[k].json);
			free(cause);
			json_decref(j);
		}
	}
	j = json_loads("{\"name\":\"vm1\",\"state\":\"failed\","
	    "\"future_field\":[1]}", 0, NULL);
	ok(proto_vm_from_json(j, &back, &cause) == 0 &&
	    back.state == VM_FAILED, "unknown VM fields are ignored");
	proto_vm_info_clear(&back);
	json_decref(j);
}

/* ---------------------------------------------------------- legacy */

static void
legacy_ok(const char *line, enum legacy_action want, const char *name,
    const char *desc)
{
	enum legacy_action	 act = -1;
	enum proto_cmd		 cmd;
	const char		*n = NULL;
	json_t			*req, *reply = NULL;
	int			 legacy = 0;

	req = proto_request_parse(line, strlen(line), &cmd, &legacy, NULL,
	    NULL, NULL);
	ok(req != NULL && legacy == 1, "legacy %s: recognised", desc);
	if (req == NULL)
		return;
	ok(proto_legacy_parse(req, &act, &n, &reply) == 0 && act == want &&
	    reply == NULL, "legacy %s: action", desc);
	if (name == NULL)
		ok(n == NULL, "legacy %s: no name", desc);
	else
		is_str(n, name, "legacy %s: name", desc);
	json_decref(reply);
	json_decref(req);
}

static void
legacy_fail(const char *line, const char *text, const char *extra,
    const char *desc)
{
	enum legacy_action	 act;
	enum proto_cmd		 cmd;
	const char		*n = NULL;
	json_t			*req, *reply = NULL, *e;
	int			 legacy = 0;

	req = proto_request_parse(line, strlen(line), &cmd, &legacy, NULL,
	    NULL, NULL);
	ok(req != NULL && legacy == 1, "legacy %s: recognised", desc);
	if (req == NULL)
		return;
	ok(proto_legacy_parse(req, &act, &n, &reply) == -1 && reply != NULL,
	    "legacy %s: refused", desc);
	is_str(json_string_value(json_object_get(reply, "result")),
	    "failure", "legacy %s: result failure", desc);
	is_str(json_string_value(json_object_get(reply, "error_type")),
	    LEGACY_E_MALFORMED, "legacy %s: error_type", desc);
	is_str(json_string_value(json_object_get(reply, "error_text")),
	    text, "legacy %s: error_text", desc);
	e = json_object_get(reply, "error_extra_data");
	if (extra == NULL)
		ok(json_is_null(e), "legacy %s: error_extra_data null", desc);
	else
		ok(contains(json_string_value(e), extra),
		    "legacy %s: error_extra_data names %s", desc, extra);
	json_decref(reply);
	json_decref(req);
}

static void
test_legacy(void)
{
	json_t	*list;

	legacy_ok("{\"action\":\"list_vms\"}", LEGACY_LIST, NULL, "list_vms");
	legacy_ok("{\"action\":\"get_vm_state\",\"vm_name\":\"vm1\"}",
	    LEGACY_GET, "vm1", "get_vm_state");
	legacy_ok("{\"action\":\"set_vm_state\",\"vm_name\":\"vm1\","
	    "\"vm_target_state\":\"up\"}", LEGACY_SET_UP, "vm1",
	    "set_vm_state up");
	legacy_ok("{\"action\":\"set_vm_state\",\"vm_name\":\"db\","
	    "\"vm_target_state\":\"down\"}", LEGACY_SET_DOWN, "db",
	    "set_vm_state down");

	legacy_fail("{\"action\":\"reboot_vm\"}", LEGACY_T_ACTION_UNKNOWN,
	    "reboot_vm", "unknown action");
	legacy_fail("{\"action\":5}", LEGACY_T_ACTION_UNKNOWN, "5",
	    "numeric action");
	legacy_fail("{\"action\":\"get_vm_state\"}", LEGACY_T_MISSING_KEY,
	    "'vm_name'", "get without vm_name");
	legacy_fail("{\"action\":\"set_vm_state\",\"vm_target_state\":"
	    "\"up\"}", LEGACY_T_MISSING_KEY, "'vm_name'",
	    "set without vm_name");
	legacy_fail("{\"action\":\"set_vm_state\",\"vm_name\":\"vm1\"}",
	    LEGACY_T_MISSING_KEY, "'vm_target_state'",
	    "set without target state");
	legacy_fail("{\"action\":\"set_vm_state\",\"vm_name\":\"vm1\","
	    "\"vm_target_state\":\"sideways\"}", LEGACY_T_STATE_UNKNOWN,
	    "sideways", "bad target state");
	legacy_fail("{\"action\":\"set_vm_state\",\"vm_name\":\"vm1\","
	    "\"vm_target_state\":true}", LEGACY_T_STATE_UNKNOWN, "true",
	    "boolean target state");
	legacy_fail("{\"action\":\"get_vm_state\",\"vm_name\":\"../etc\"}",
	    LEGACY_T_NAME_INVALID, "../etc", "vm_name with a slash");
	legacy_fail("{\"action\":\"get_vm_state\",\"vm_name\":7}",
	    LEGACY_T_NAME_INVALID, "7", "numeric vm_name");

	is_json(proto_legacy_failure(LEGACY_E_MALFORMED,
	    LEGACY_T_MISSING_KEY), "{\"result\":\"failure\",\"error_type\":"
	    "\"client_message_malformed\",\"error_text\":"
	    "\"missing_mandatory_key\",\"error_extra_data\":null}",
	    "legacy failure shape");
	is_json(proto_legacy_success(), "{\"result\":\"success\"}",
	    "legacy success shape");
	list = json_array();
	json_array_append_new(list, proto_legacy_vm_entry("vm1", 100));
	json_array_append_new(list, proto_legacy_vm_entry("vm2", 200));
	is_json(proto_legacy_list_reply(list), "{\"result\":\"success\","
	    "\"vm_list\":[{\"vm_name\":\"vm1\",\"vm_controller_pid\":100},"
	    "{\"vm_name\":\"vm2\",\"vm_controller_pid\":200}]}",
	    "legacy list reply");
	is_json(proto_legacy_list_reply(NULL),
	    "{\"result\":\"success\",\"vm_list\":[]}", "legacy empty list");
	is_json(proto_legacy_state_reply(1, 4242), "{\"result\":\"success\","
	    "\"vm_state\":\"vm_up\",\"vm_pid\":4242}", "legacy state up");
	is_json(proto_legacy_state_reply(0, -1), "{\"result\":\"success\","
	    "\"vm_state\":\"vm_down\"}", "legacy state down");
}

/* ---------------------------------------------------------- framer */

static int
next_is(struct proto_framer *f, const char *want, const char *desc)
{
	const char	*line = NULL;
	size_t		 len = 0;
	int		 r;

	r = proto_framer_next(f, &line, &len);
	if (want == NULL) {
		is_int(r, 0, "%s: no complete line", desc);
		return (r == 0);
	}
	ok(r == 1 && len == strlen(want) && memcmp(line, want, len) == 0 &&
	    line[len] == '\0', "%s: line \"%s\"", desc, want);
	if (r != 1)
		printf("#   next returned %d\n", r);
	return (r == 1);
}

static void
test_framer(void)
{
	struct proto_framer	 f;
	const char		*line;
	char			*big, buf[64];
	size_t			 len, i, n, got, maxsize;
	int			 r, good;

	proto_framer_init(&f, 0);
	is_int(f.max, PROTO_LINE_MAX, "framer: default max");
	next_is(&f, NULL, "empty framer");
	is_int(proto_framer_feed(&f, "{\"cmd\"", 6), 0, "partial feed");
	next_is(&f, NULL, "partial line");
	is_int(proto_framer_pending(&f), 6, "partial line is pending");
	proto_framer_feed(&f, ":\"list\"}\n{\"c", 12);
	next_is(&f, "{\"cmd\":\"list\"}", "line split across feeds");
	next_is(&f, NULL, "second line still partial");
	is_int(proto_framer_pending(&f), 3, "start of second line pending");
	proto_framer_feed(&f, "\"}\n", 3);
	next_is(&f, "{\"c\"}", "second line completed");

	proto_framer_feed(&f, "a\nbb\nccc\n", 9);
	next_is(&f, "a", "three lines in one feed (1)");
	next_is(&f, "bb", "three lines in one feed (2)");
	next_is(&f, "ccc", "three lines in one feed (3)");
	next_is(&f, NULL, "three lines in one feed: then none");
	is_int(proto_framer_pending(&f), 0, "nothing pending");

	proto_framer_feed(&f, "crlf\r\n\r\n\n\na\rb\n", 14);
	next_is(&f, "crlf", "CRLF stripped");
	next_is(&f, "", "bare CRLF is an empty line");
	next_is(&f, "", "empty line (1)");
	next_is(&f, "", "empty line (2)");
	next_is(&f, "a\rb", "inner CR kept");
	proto_framer_feed(&f, "x\r", 2);
	next_is(&f, NULL, "CR without LF");
	proto_framer_feed(&f, "\n", 1);
	next_is(&f, "x", "CR and LF in separate feeds");
	for (i = 0; i < 5; i++)
		proto_framer_feed(&f, &"byte\n"[i], 1);
	next_is(&f, "byte", "one byte per feed");
	proto_framer_free(&f);
	is_int(proto_framer_pending(&f), 0, "free leaves nothing pending");

	/* Limits. */
	proto_framer_init(&f, 8);
	is_int(proto_framer_feed(&f, "12345678\n", 9), 0,
	    "line of exactly max bytes accepted");
	next_is(&f, "12345678", "line of exactly max bytes");
	is_int(proto_framer_feed(&f, "12345678\r\n", 10), -1,
	    "the CR counts towards max");
	proto_framer_free(&f);

	proto_framer_init(&f, 8);
	is_int(proto_framer_feed(&f, "ok\n123456789\nlater\n", 19), -1,
	    "oversized line with newline refused");
	next_is(&f, "ok", "line before the oversized one still returned");
	is_int(proto_framer_next(&f, &line, &len), -1,
	    "then next reports the error");
	is_int(proto_framer_feed(&f, "more\n", 5), -1,
	    "feeding after the error keeps failing");
	proto_framer_free(&f);

	proto_framer_init(&f, 8);
	is_int(proto_framer_feed(&f, "123456789", 9), -1,
	    "oversized line without newline refused at once");
	is_int(proto_framer_pending(&f), 0, "and not buffered");
	is_int(proto_framer_next(&f, &line, &len), -1, "next reports it");
	proto_framer_free(&f);

	proto_framer_init(&f, 8);
	is_int(proto_framer_feed(&f, "12345", 5), 0, "part of a long line");
	is_int(proto_framer_feed(&f, "678", 3), 0, "up to max, no newline");
	is_int(proto_framer_feed(&f, "9", 1), -1,
	    "one more byte without newline refused");
	proto_framer_free(&f);

	/* 10 MB without a newline: refused at the limit, not buffered. */
	n = 10 * 1024 * 1024;
	big = malloc(n);
	memset(big, 'x', n);
	proto_framer_init(&f, 0);
	is_int(proto_framer_feed(&f, big, n), -1, "10 MB in one feed refused");
	ok(f.size <= 2 * PROTO_LINE_MAX, "10 MB: buffer stayed small (%zu)",
	    f.size);
	proto_framer_free(&f);
	proto_framer_init(&f, 0);
	r = 0;
	for (i = 0; i < n && r == 0; i += 4096)
		r = proto_framer_feed(&f, big + i, 4096);
	ok(r == -1 && i <= PROTO_LINE_MAX + 4096,
	    "10 MB in 4 KB feeds refused as soon as it passes the limit "
	    "(after %zu bytes)", i);
	ok(f.size <= 2 * PROTO_LINE_MAX, "4 KB feeds: buffer stayed small");
	proto_framer_free(&f);
	free(big);

	/* Many lines through varying feed sizes: order and compaction. */
	proto_framer_init(&f, 64);
	good = 1;
	got = 0;
	maxsize = 0;
	big = malloc(100000 * 16);
	for (i = 0, n = 0; i < 100000; i++)
		n += snprintf(big + n, 16, "line %zu\n", i);
	for (i = 0; i < n; ) {
		len = 1 + (i * 7919) % 97;
		if (len > n - i)
			len = n - i;
		if (proto_framer_feed(&f, big + i, len) != 0)
			good = 0;
		i += len;
		while ((r = proto_framer_next(&f, &line, &len)) == 1) {
			snprintf(buf, sizeof buf, "line %zu", got++);
			if (strlen(buf) != len || strcmp(line, buf) != 0)
				good = 0;
		}
		if (f.size > maxsize)
			maxsize = f.size;
	}
	free(big);
	ok(good && got == 100000, "100000 lines in odd feeds, in order (%zu)",
	    got);
	ok(maxsize <= 4096, "buffer compacted, stayed at %zu bytes", maxsize);
	is_int(proto_framer_pending(&f), 0, "nothing left over");
	proto_framer_free(&f);

	/* Many lines buffered before reading any. */
	proto_framer_init(&f, 64);
	for (i = 0; i < 1000; i++)
		proto_framer_feed(&f, "0123456789\n", 11);
	for (i = 0; proto_framer_next(&f, &line, &len) == 1; i++)
		;
	is_int(i, 1000, "1000 buffered lines read afterwards");
	proto_framer_feed(&f, "tail", 4);
	is_int(f.off, 0, "feed compacts consumed lines away");
	is_int(proto_framer_pending(&f), 4, "only the tail is pending");
	proto_framer_free(&f);

	/* Reset drops what is buffered; so does emptying it by hand. */
	proto_framer_init(&f, 16);
	proto_framer_feed(&f, "one\ntwo\nthr", 11);
	next_is(&f, "one", "before reset");
	proto_framer_reset(&f);
	is_int(proto_framer_pending(&f), 0, "reset: nothing pending");
	next_is(&f, NULL, "reset: no line left");
	proto_framer_feed(&f, "four\n", 5);
	next_is(&f, "four", "lines after reset");
	proto_framer_feed(&f, "five\nsi", 8);
	next_is(&f, "five", "before emptying by hand");
	f.len = f.off = 0;
	is_int(proto_framer_feed(&f, "0123456789abcde\n", 16), 0,
	    "feed after the owner emptied the buffer");
	next_is(&f, "0123456789abcde", "line after emptying by hand");
	proto_framer_free(&f);

	/* A burst grows the buffer; once drained it is given back. */
	proto_framer_init(&f, 0);
	memset(buf, 'y', sizeof buf);
	buf[sizeof buf - 1] = '\n';
	for (i = 0; i < 4096; i++)
		proto_framer_feed(&f, buf, sizeof buf);
	ok(f.size >= 4096 * sizeof buf, "burst of 256 KB buffered");
	while (proto_framer_next(&f, &line, &len) == 1)
		;
	proto_framer_feed(&f, "z", 1);
	ok(f.size <= 4096, "drained buffer shrinks again (%zu)", f.size);
	proto_framer_free(&f);
}

/* ---------------------------------------------------------- corpus */

/*
 * The fuzz seeds in tests/fuzz/corpus-proto say what they are by name:
 * ok-* parse as commands, legacy-* as legacy messages (legacy-bad-* are
 * refused by proto_legacy_parse), bad-* are refused or incomplete.
 */
static void
corpus_file(const char *dir, const char *name)
{
	struct proto_framer	 f;
	enum legacy_action	 act;
	enum proto_cmd		 cmd;
	const char		*line, *n;
	json_t			*req, *reply;
	char			 path[PATH_MAX], buf[4096];
	size_t			 len, nlines = 0, nok = 0, nlegacy = 0;
	size_t			 nlegacy_ok = 0;
	FILE			*fp;
	int			 legacy;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >=
	    sizeof path || (fp = fopen(path, "rb")) == NULL) {
		ok(0, "corpus %s: readable", name);
		return;
	}
	proto_framer_init(&f, 0);
	while ((len = fread(buf, 1, sizeof buf, fp)) > 0)
		proto_framer_feed(&f, buf, len);
	fclose(fp);
	while (proto_framer_next(&f, &line, &len) == 1) {
		nlines++;
		req = proto_request_parse(line, len, &cmd, &legacy, NULL,
		    NULL, NULL);
		if (req != NULL && !legacy)
			nok++;
		if (req != NULL && legacy) {
			nlegacy++;
			reply = NULL;
			if (proto_legacy_parse(req, &act, &n, &reply) == 0)
				nlegacy_ok++;
			json_decref(reply);
		}
		json_decref(req);
	}
	proto_framer_free(&f);
	if (strncmp(name, "ok-", 3) == 0)
		ok(nlines > 0 && nok == nlines, "corpus %s: every line parses",
		    name);
	else if (strncmp(name, "legacy-bad-", 11) == 0)
		ok(nlines > 0 && nlegacy == nlines && nlegacy_ok == 0,
		    "corpus %s: legacy, refused", name);
	else if (strncmp(name, "legacy-", 7) == 0)
		ok(nlines > 0 && nlegacy_ok == nlines,
		    "corpus %s: legacy, accepted", name);
	else
		ok(nlines == 0 || nok + nlegacy < nlines,
		    "corpus %s: refused or incomplete", name);
}

/* A path in the source tree: $top_srcdir, or found from __FILE__. */
static void
src_path(char *buf, size_t size, const char *rel)
{
	const char	*top = getenv("top_srcdir");
	char		*p;

	if (top != NULL) {
		snprintf(buf, size, "%s/%s", top, rel);
		return;
	}
	snprintf(buf, size, "%s", __FILE__);
	if ((p = strstr(buf, "tests/unit/test-proto.c")) != NULL)
		snprintf(p, size - (p - buf), "%s", rel);
	else
		snprintf(buf, size, "%s", rel);
}

static void
test_corpus(void)
{
	char		 dir[PATH_MAX];
	struct dirent	**de;
	int		 i, n, seeds;

	src_path(dir, sizeof dir, "tests/fuzz/corpus-proto");
	if ((n = scandir(dir, &de, NULL, alphasort)) == -1) {
		ok(0, "corpus directory %s opens", dir);
		return;
	}
	for (i = 0, seeds = 0; i < n; i++) {
		if (de[i]->d_name[0] != '.') {
			corpus_file(dir, de[i]->d_name);
			seeds++;
		}
		free(de[i]);
	}
	free(de);
	ok(seeds >= 10, "corpus has %d seeds", seeds);
}

/* ---------------------------------------------------------- man page */

/* The line of text starting with start, or NULL. */
static const char *
man_line(const char *text, const char *start, char *buf, size_t size)
{
	const char	*p = text, *e;
	size_t		 n = strlen(start);

	while (p != NULL && *p != '\0') {
		e = strchr(p, '\n');
		if (strncmp(p, start, n) == 0 && (p[n] == ' ' || p[n] == '\n')) {
			/* With a trailing space, to match whole words. */
			snprintf(buf, size, "%.*s ", (int)(e != NULL ? e - p :
			    (ptrdiff_t)strlen(p)), p);
			return (buf);
		}
		p = e != NULL ? e + 1 : NULL;
	}
	return (NULL);
}

static void
man_names(const char *text, const char *what, const char *const *names,
    int n, int from)
{
	char	 want[128], buf[256];
	int	 i;

	for (i = from; i < n; i++) {
		snprintf(want, sizeof want, ".It Qq %s", names[i]);
		ok(man_line(text, want, buf, sizeof buf) != NULL,
		    "man page documents %s \"%s\"", what, names[i]);
	}
}

static void
test_man(void)
{
	static const char *const fields[] = { PF_NAME, PF_STATE, PF_PID,
	    PF_VCPUS, PF_MEMORY_MB, PF_VNC_HOST, PF_VNC_PORT, PF_UPTIME_S,
	    PF_ISO, PF_LAST_EXIT, PF_LAST_EXIT_TIME, PF_CONSOLE,
	    PF_WAITING_FOR };
	static const char *const events[] = { PROTO_EV_STATE,
	    PROTO_EV_ADDED, PROTO_EV_REMOVED };
	const struct proto_cmd_entry	*ce;
	char				 path[PATH_MAX], want[128], buf[256];
	char				*text, *sect, *end;
	const char			*line;
	FILE				*fp;
	size_t				 n, i;
	int				 j, good;

	src_path(path, sizeof path, "man/anlasser-protocol.7");
	text = calloc(1, 256 * 1024);
	if ((fp = fopen(path, "r")) == NULL) {
		ok(0, "man page %s readable", path);
		free(text);
		return;
	}
	n = fread(text, 1, 256 * 1024 - 1, fp);
	fclose(fp);
	text[n] = '\0';

	for (i = 0; i < PROTO_NCMDS; i++) {
		ce = &proto_cmds[i];
		snprintf(want, sizeof want, ".It Ic %s", ce->name);
		line = man_line(text, want, buf, sizeof buf);
		ok(line != NULL, "man page documents command %s", ce->name);
		if (line == NULL)
			continue;
		good = 1;
		for (j = 0; j < PROTO_MAX_ARGS && ce->args[j].name; j++) {
			snprintf(want, sizeof want, " Va %s%s ",
			    ce->args[j].name, ce->args[j].required ? "*" : "");
			if (strstr(line, want) == NULL)
				good = 0;
		}
		snprintf(want, sizeof want, "Pq %s%s",
		    ce->flags & CMD_F_READONLY ? "R" : "",
		    ce->flags & CMD_F_MUTATES ? "M" : "");
		if ((ce->flags != 0 && strstr(line, want) == NULL) ||
		    (ce->flags == 0 && strstr(line, "Pq") != NULL))
			good = 0;
		ok(good, "man page: %s lists its arguments and flags (%s)",
		    ce->name, line);
	}
	man_names(text, "state", proto_state_names, VM_NSTATES, 0);
	man_names(text, "exit reason", proto_exit_names, VM_NEXITS, 0);
	man_names(text, "stop outcome", proto_stop_names, VM_NSTOPS, 0);
	man_names(text, "error code", proto_error_names, PROTO_NERRORS, 1);
	man_names(text, "event", events, nitems(events), 0);
	ok(strstr(text, "65536") != NULL && PROTO_LINE_MAX == 65536,
	    "man page states the line limit");
	snprintf(want, sizeof want, "The protocol version is %d.",
	    PROTO_VERSION);
	ok(strstr(text, want) != NULL, "man page states the version");
	ok(strstr(text, PROTO_SOCKET_DEFAULT) != NULL &&
	    strstr(text, PROTO_SOCKET_ENV) != NULL,
	    "man page names the socket and its variable");

	sect = strstr(text, ".Ss The VM object");
	end = sect != NULL ? strstr(sect + 1, ".Ss ") : NULL;
	ok(sect != NULL && end != NULL, "man page has a VM object section");
	if (sect != NULL && end != NULL) {
		*end = '\0';
		for (i = 0; i < nitems(fields); i++) {
			snprintf(want, sizeof want, "Va %s", fields[i]);
			ok(strstr(sect, want) != NULL,
			    "man page documents VM field %s", fields[i]);
		}
	}
	free(text);
}

int
main(void)
{
	test_tables();
	test_utf8();
	test_bad_lines();
	test_commands();
	test_replies();
	test_vm();
	test_legacy();
	test_framer();
	test_corpus();
	test_man();
	return (tap_done());
}
