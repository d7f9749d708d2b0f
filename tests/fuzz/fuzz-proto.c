/*
 * libFuzzer target for the protocol: bytes as they would arrive on the
 * agent's socket go through the line framer, every complete line through
 * proto_request_parse and, for legacy messages, proto_legacy_parse; the
 * replies the agent would build from the results are serialised too.
 *
 * The first byte chooses how the input is cut into reads (1 to 256 bytes
 * per proto_framer_feed) and whether the framer runs with a small line
 * limit, so that lines split across reads and over-long lines are both
 * exercised.  Built by ./configure --enable-fuzzing, and by
 * tests/fuzz/run-fuzz.sh in any build.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_line(const char *line, size_t len)
{
	enum proto_cmd		 cmd;
	enum proto_error	 err;
	enum legacy_action	 action;
	const char		*name;
	json_t			*req, *id = NULL, *reply = NULL, *r;
	char			*msg = NULL, *s;
	size_t			 n;
	int			 legacy = 0;

	req = proto_request_parse(line, len, &cmd, &legacy, &err, &msg, &id);
	if (req == NULL) {
		/* What the agent sends back: the error, echoing the id. */
		if (err <= ERR_NONE || err >= PROTO_NERRORS || msg == NULL)
			abort();
		r = proto_reply_error(id, err, "%s", msg);
		s = proto_dump(r, &n);
		if (n == 0 || s[n - 1] != '\n' ||
		    memchr(s, '\n', n - 1) != NULL)
			abort();	/* a reply is exactly one line */
		free(s);
		json_decref(r);
		free(msg);
		json_decref(id);
		return;
	}
	if (id != NULL || msg != NULL)
		abort();	/* documented: NULL on success */
	if (legacy) {
		if (proto_legacy_parse(req, &action, &name, &reply) == 0) {
			if (action != LEGACY_LIST && name == NULL)
				abort();
		} else if (reply == NULL)
			abort();
		if (reply != NULL) {
			s = proto_dump(reply, &n);
			free(s);
			json_decref(reply);
		}
	} else {
		if (cmd >= PROTO_NCMDS)
			abort();
		r = proto_reply_ok(json_object_get(req, PF_ID),
		    json_incref(req));
		s = proto_dump(r, &n);
		free(s);
		json_decref(r);
	}
	json_decref(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_framer	 fr;
	const char		*line;
	size_t			 len, off, n, chunk;
	int			 r;

	if (size == 0)
		return (0);
	chunk = (size_t)(data[0] & 0x7f) * 2 + 1;
	proto_framer_init(&fr, (data[0] & 0x80) ? 64 : 0);
	data++;
	size--;
	for (off = 0; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		r = proto_framer_feed(&fr, (const char *)data + off, n);
		while (proto_framer_next(&fr, &line, &len) == 1) {
			if (line[len] != '\0')
				abort();	/* documented: NUL-terminated */
			fuzz_line(line, len);
		}
		if (r == -1)
			break;		/* the agent closes the connection */
	}
	proto_framer_free(&fr);
	return (0);
}
