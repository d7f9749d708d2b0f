#!/bin/bash
# The full screen and its terminal: colours and NO_COLOR, an ASCII locale,
# 80x24, Ctrl-C and SIGTERM leaving the terminal as it was, and an agent
# that is not there at first, goes away and comes back.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
lib_init
. "$top_srcdir/tests/tui/lib-tmux.sh"

conf_agent
conf_vm vm1 shutdown_timeout=5
conf_vm vm2 shutdown_timeout=5

# restart: end the TUI's window and start a new one.
restart() {
	tm kill-session -t T 2>/dev/null
	rm -f "$T/stty.after"
	tui_start "$@"
}

# --- no agent yet: shown, retried, then connected -------------------------
tui_start 80 24
wait_screen 5 "not connected"
ok $? "without an agent the title says not connected"
like "$(screen)" "cannot connect to the agent at $SOCK" \
    "the message line says why, naming the socket"
like "$(screen | sed -n 1p)" "retrying" "... and that it tries again"
agent_start
ok $? "agent starts"
wait_screen 15 "2 VMs, 0 running"
ok $? "the TUI connects by itself once the agent is there"
like "$(row vm1)" "stopped" "and shows the VMs"
s=$(screen)
is "$(printf '%s\n' "$s" | wc -l)" 24 "80x24: 24 lines"
like "$(printf '%s\n' "$s" | sed -n 2p)" "LAST EXIT" "80x24: every column"

# --- colours ---------------------------------------------------------------
"$TUI" --batch start vm1 >/dev/null 2>&1
wait_row 10 vm1 running
ok $? "a start from elsewhere shows up (events)"
like "$(screen_esc | grep 'running')" "[32m" "running is green"

# --- the agent goes away and comes back ----------------------------------
agent_kill
wait_screen 5 "not connected"
ok $? "losing the agent is shown in the title"
like "$(screen | sed -n 1p)" "retrying" "the title says it tries again"
like "$(row vm1)" "vm1" "the last known VMs stay on screen"
agent_start
wait_screen 15 "2 VMs, 1 running"
ok $? "the TUI reconnects and shows the current state"
keys q
tui_exited
ok $? "q quits"

# --- NO_COLOR, ASCII ----------------------------------------------------------
restart 100 30 NO_COLOR=1 LANG=C LC_ALL=C
wait_screen 10 "1 running"
ok $? "the screen works in the C locale"
esc=$(screen_esc)
case "$esc" in
*"[3"[0-7]"m"* | *";3"[0-7]"m"* | *"[4"[0-7]"m"* | *";4"[0-7]"m"*)
	ok 1 "NO_COLOR: no colours" ;;
*)	ok 0 "NO_COLOR: no colours" ;;
esac
like "$(row vm1)" "running" "NO_COLOR: the state is still there"
keys '?'
wait_screen 3 "keys in the VM list"
ok $? "the help works in the C locale"
keys Escape

# --- Ctrl-C ------------------------------------------------------------------
keys C-c
tui_exited
ok $? "Ctrl-C quits"
like "$(screen)" "EXITED=0" "... with status 0"
stty_sane
ok $? "after Ctrl-C the terminal is back (icanon, echo, isig ...)"

# --- SIGTERM ---------------------------------------------------------------
restart 100 30
wait_screen 10 "1 running"
pid=$(pgrep -P "$(tm display -p -t T '#{pane_pid}')" -x anlasser-tui)
[ -n "$pid" ] && kill -TERM "$pid"
tui_exited
ok $? "SIGTERM ends the TUI"
stty_sane
ok $? "after SIGTERM the terminal is back"

"$TUI" --batch stop vm1 >/dev/null 2>&1
done_testing
