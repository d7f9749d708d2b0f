/*
 * send-keys words to key events (vnc.h): named keys with Ctrl-, Alt-
 * and Shift- prefixes, and text.  QEMU does not add Shift for shifted
 * symbols by itself, so Shift is pressed around them here.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rfb/keysym.h>

#include "compat.h"
#include "xmalloc.h"
#include "vnc.h"

struct vnc_key_name {
	const char	*name;
	uint32_t	 keysym;
};

static const struct vnc_key_name vnc_keys[] = {
	{ "Enter", XK_Return },
	{ "Esc", XK_Escape },
	{ "Tab", XK_Tab },
	{ "Backspace", XK_BackSpace },
	{ "Space", XK_space },
	{ "Insert", XK_Insert },
	{ "Delete", XK_Delete },
	{ "Del", XK_Delete },
	{ "Home", XK_Home },
	{ "End", XK_End },
	{ "PageUp", XK_Page_Up },
	{ "PageDown", XK_Page_Down },
	{ "Up", XK_Up },
	{ "Down", XK_Down },
	{ "Left", XK_Left },
	{ "Right", XK_Right },
	{ "F1", XK_F1 }, { "F2", XK_F2 }, { "F3", XK_F3 }, { "F4", XK_F4 },
	{ "F5", XK_F5 }, { "F6", XK_F6 }, { "F7", XK_F7 }, { "F8", XK_F8 },
	{ "F9", XK_F9 }, { "F10", XK_F10 }, { "F11", XK_F11 },
	{ "F12", XK_F12 },
};

const char *const vnc_key_names[] = {
	"Enter", "Esc", "Tab", "Backspace", "Space", "Insert", "Delete",
	"Del", "Home", "End", "PageUp", "PageDown", "Up", "Down", "Left",
	"Right", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10",
	"F11", "F12"
};
const size_t vnc_key_nnames = nitems(vnc_key_names);

/* Characters typed with Shift on a US keyboard (besides A-Z). */
static const char vnc_shifted[] = "~!@#$%^&*()_+{}|:\"<>?";

struct vnc_mod {
	const char	*prefix;
	uint32_t	 keysym;
};

static const struct vnc_mod vnc_mods[] = {
	{ "Ctrl-", XK_Control_L },
	{ "Alt-", XK_Alt_L },
	{ "Shift-", XK_Shift_L },
};

static void
ev_add(struct vnc_keyev **ev, size_t *n, uint32_t keysym, int down)
{
	*ev = xreallocarray(*ev, *n + 1, sizeof **ev);
	(*ev)[*n].keysym = keysym;
	(*ev)[*n].down = down;
	(*n)++;
}

static void
ev_press(struct vnc_keyev **ev, size_t *n, uint32_t keysym)
{
	ev_add(ev, n, keysym, 1);
	ev_add(ev, n, keysym, 0);
}

/* A character's keysym and whether it needs Shift; 0: cannot type. */
static uint32_t
char_keysym(unsigned char c, int *shift)
{
	*shift = 0;
	if (c == '\n' || c == '\r')
		return (XK_Return);
	if (c == '\t')
		return (XK_Tab);
	if (c < 0x20 || c > 0x7e)
		return (0);
	*shift = (c >= 'A' && c <= 'Z') || strchr(vnc_shifted, c) != NULL;
	return (c);
}

static const struct vnc_key_name *
key_lookup(const char *s)
{
	size_t	i;

	for (i = 0; i < nitems(vnc_keys); i++)
		if (strcmp(vnc_keys[i].name, s) == 0)
			return (&vnc_keys[i]);
	return (NULL);
}

int
vnc_keys_parse(const char *word, struct vnc_keyev **ev, size_t *n,
    char **cause)
{
	const struct vnc_key_name	*k;
	uint32_t			 mods[nitems(vnc_mods)], ks;
	const char			*s = word;
	size_t				 i, nmods = 0;
	int				 shift, found;

	/* A key name, with modifiers: Ctrl-Alt-Del, Ctrl-c, Shift-Tab. */
	do {
		found = 0;
		for (i = 0; i < nitems(vnc_mods); i++) {
			if (strncmp(s, vnc_mods[i].prefix,
			    strlen(vnc_mods[i].prefix)) == 0 && s[strlen(
			    vnc_mods[i].prefix)] != '\0') {
				mods[nmods++] = vnc_mods[i].keysym;
				s += strlen(vnc_mods[i].prefix);
				found = 1;
				break;
			}
		}
	} while (found && nmods < nitems(vnc_mods));
	k = key_lookup(s);
	if (k != NULL || (nmods > 0 && s[0] != '\0' && s[1] == '\0')) {
		shift = 0;
		if (k != NULL)
			ks = k->keysym;
		else if ((ks = char_keysym(s[0], &shift)) == 0) {
			xasprintf(cause, "%s: cannot type that character",
			    word);
			return (-1);
		}
		/* Ctrl-C means Ctrl with the c key. */
		if (nmods > 0 && ks >= 'A' && ks <= 'Z') {
			ks += 'a' - 'A';
			shift = 0;
		}
		for (i = 0; i < nmods; i++)
			ev_add(ev, n, mods[i], 1);
		if (shift)
			ev_add(ev, n, XK_Shift_L, 1);
		ev_press(ev, n, ks);
		if (shift)
			ev_add(ev, n, XK_Shift_L, 0);
		for (i = nmods; i > 0; i--)
			ev_add(ev, n, mods[i - 1], 0);
		return (0);
	}
	/* Text; a leading backslash types a key name as text (\Enter). */
	s = word;
	if (s[0] == '\\' && s[1] != '\0')
		s++;
	for (; *s != '\0'; s++) {
		if ((ks = char_keysym(*s, &shift)) == 0) {
			xasprintf(cause, "%s: cannot type character 0x%02x "
			    "(ASCII only)", word, (unsigned char)*s);
			return (-1);
		}
		if (shift)
			ev_add(ev, n, XK_Shift_L, 1);
		ev_press(ev, n, ks);
		if (shift)
			ev_add(ev, n, XK_Shift_L, 0);
	}
	return (0);
}
