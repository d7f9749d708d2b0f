/*
 * Helpers shared by the proto*.c files only; the interface for the
 * agent and the TUI is proto.h.
 */
#ifndef PROTO_INT_H
#define PROTO_INT_H

#include <stddef.h>
#include <jansson.h>

/* Offset of the first byte that breaks UTF-8, or len when valid. */
size_t		 proto_utf8_bad_offset(const unsigned char *, size_t);
/* "an object", "a string" ...: a value's type for messages. */
const char	*proto_json_type(const json_t *);
/*
 * Copy a string into buf for a message; when too long, cut at a
 * character boundary and end with "...".  Returns buf.
 */
const char	*proto_quote(const char *, char *, size_t);

#endif
