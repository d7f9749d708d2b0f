#!/bin/sh
#
# Host integration files in contrib/: the rc.d script (syntax, the rc.subr
# conventions, and its behaviour against a stand-in for rc.subr), the
# systemd unit, syslog/newsyslog entries, the example configurations
# (every key, defaults, --check), the Ansible playbook (YAML, its validate
# command run for real) and the FreeBSD port (variables, pkg-plist equal to
# tests/regress/install.list).  TAP.

: "${top_srcdir:=.}"
: "${top_builddir:=.}"

src=$(cd "$top_srcdir" && pwd) || exit 99
builddir=$(cd "$top_builddir" && pwd) || exit 99
agent=$builddir/agent/anlasser-agent
rcin=$src/contrib/rc.d/anlasser_agent.in
port=$src/contrib/freebsd-port
unit=$src/contrib/systemd/anlasser-agent.service.in
site=$src/contrib/ansible/site.yml
examples=$src/contrib/examples

T=$(mktemp -d "${TMPDIR:-/tmp}/anl-contrib.XXXXXX") || exit 99
pids=
cleanup() {
	for p in $pids; do
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
diag() {
	sed 's/^/# /' "$@"
}

echo "1..36"

# ------------------------------------------------------------------ rc.d
sh -n "$rcin" 2> "$T/err"
ok $? "rc.d: sh -n accepts the script"
diag "$T/err"

cmp -s "$rcin" "$port/files/anlasser_agent.in"
ok $? "rc.d: the port's files/anlasser_agent.in is the same script"

# The rc.subr conventions, one finding per line in $T/lint.
awk '
function need(cond, what) { if (!cond) print what }
NR == 1 { shebang = ($0 == "#!/bin/sh") }
/^# PROVIDE: anlasser_agent$/ { provide = 1 }
/^# REQUIRE:/ { req = $0 }
/^# KEYWORD:/ { kw = $0 }
/^\. \/etc\/rc\.subr$/ { subr = NR }
/^name="anlasser_agent"$/ { name = NR }
/^rcvar="anlasser_agent_enable"$/ { rcvar = 1 }
/^load_rc_config \$name$/ { load = NR }
/^: \$\{anlasser_agent_enable:="NO"\}$/ { enable = NR }
/^command="\/usr\/sbin\/daemon"$/ { command = 1 }
/^pidfile="\/var\/run\/\$\{name\}\.pid"$/ { pidfile = 1 }
/^procname=/ { procname = 1 }
/^anlasser_agent_(program|flags|user|group|chdir|chroot|env|prepend)=/ {
	reserved = reserved " " $0
}
/^required_modules="vmm nmdm"$/ { modules = 1 }
/^anlasser_agent_bin="%%PREFIX%%\/sbin\/anlasser-agent"$/ { program = 1 }
/^extra_commands="/ {
	s = $0; sub(/^extra_commands="/, "", s); sub(/"$/, "", s)
	nextra = split(s, extra, " ")
}
/^[a-z]+_(pre|post)?cmd="[a-z_]+"$/ {
	split($0, kv, "="); v = kv[2]; gsub(/"/, "", v)
	uses[v] = kv[1]; cmds[kv[1]] = 1
}
/^[a-z_]+\(\)$/ { f = $0; sub(/\(\)$/, "", f); defined[f] = 1 }
/^command_args=/ { args = 1 }
args { argtext = argtext " " $0 }
args && !/\\$/ { args = 0 }
NF { last = $0 }
END {
	need(shebang, "line 1 is not #!/bin/sh")
	need(provide, "no \"# PROVIDE: anlasser_agent\"")
	need(req ~ /[ :]LOGIN( |$)/ && req ~ / zfs( |$)/ &&
	    req ~ / syslogd( |$)/, "REQUIRE lacks LOGIN, zfs or syslogd")
	need(kw ~ / shutdown( |$)/, "KEYWORD lacks shutdown")
	need(kw ~ / nojail( |$)/, "KEYWORD lacks nojail")
	need(subr, "no \". /etc/rc.subr\"")
	need(name && name > subr, "name=\"anlasser_agent\" missing or " \
	    "before rc.subr")
	need(rcvar, "rcvar=\"anlasser_agent_enable\" missing")
	need(load && load > name, "load_rc_config $name missing or " \
	    "before name=")
	need(enable && enable > load, "the NO default of " \
	    "anlasser_agent_enable is missing or before load_rc_config")
	need(command, "command is not /usr/sbin/daemon")
	need(pidfile, "pidfile is not /var/run/${name}.pid")
	need(!procname, "procname is set: the pidfile is daemon(8)s, " \
	    "procname must stay at its default")
	need(modules, "required_modules is not \"vmm nmdm\"")
	need(reserved == "", "sets a variable rc.subr reserves for rc.conf:" \
	    reserved)
	need(argtext ~ /-P \$\{pidfile\}/, "daemon -P is not ${pidfile}")
	need(argtext ~ /-p \$\{child_pidfile\}/,
	    "daemon -p is not ${child_pidfile}")
	need(argtext ~ /[" ]-r / && argtext ~ / -R 5 /, "daemon lacks -r -R 5")
	need(argtext ~ /\$\{anlasser_agent_bin\} -F /,
	    "the agent lacks -F")
	need(program, "anlasser_agent_bin is not " \
	    "%%PREFIX%%/sbin/anlasser-agent")
	for (i = 1; i <= nextra; i++)
		need((extra[i] "_cmd") in cmds, "extra command " extra[i] \
		    " has no " extra[i] "_cmd")
	for (f in uses)
		need(f in defined, uses[f] " names " f ", which is not " \
		    "defined")
	need(last == "run_rc_command \"$1\"",
	    "the last line is not run_rc_command \"$1\"")
}' "$rcin" > "$T/lint"
[ ! -s "$T/lint" ]
ok $? "rc.d: rc.subr conventions (name, rcvar, pidfile, keywords ...)"
diag "$T/lint"

# Behaviour against a stand-in for the parts of rc.subr(8) the script
# uses: checkyesno, check_pidfile, and run_rc_command with the fast
# prefix, precmd, custom *_cmd, and the default start and stop (signal
# the pidfile's process, wait for it).
mkdir -p "$T/prefix/bin" "$T/prefix/sbin" "$T/run" "$T/log" "$T/fakebin"
cat > "$T/rc.subr" <<'EOF'
checkyesno()
{
	eval _v=\$$1
	case $_v in
	[Yy][Ee][Ss]|[Tt][Rr][Uu][Ee]|[Oo][Nn]|1) return 0 ;;
	*) return 1 ;;
	esac
}
load_rc_config() { :; }
check_pidfile()
{
	[ -f "$1" ] || return 0
	read _pid _junk < "$1"
	kill -0 "$_pid" 2>/dev/null && echo "$_pid"
}
run_rc_command()
{
	rc_arg=$1
	case $rc_arg in
	fast*) rc_arg=${rc_arg#fast}; rc_fast=yes; rc_quiet=yes ;;
	esac
	eval rc_flags=\$${name}_flags
	# As rc.subr: ${name}_program replaces command.
	eval _override=\$${name}_program
	command=${_override:-$command}
	rc_pid=$(check_pidfile "$pidfile" "$command")
	eval _cmd=\$${rc_arg}_cmd _precmd=\$${rc_arg}_precmd
	if [ -n "$_cmd" ]; then
		if [ -n "$_precmd" ]; then eval "$_precmd" || return 1; fi
		eval "$_cmd"
		return
	fi
	case $rc_arg in
	start)
		if [ -n "$_precmd" ]; then eval "$_precmd" || return 1; fi
		echo "$command $rc_flags $command_args" > "$STANDIN/started"
		;;
	stop)
		if [ -z "$rc_pid" ]; then
			[ -n "$rc_fast" ] && return 0
			return 1
		fi
		if [ -n "$_precmd" ]; then eval "$_precmd" || return 1; fi
		echo "signal TERM $rc_pid" >> "$STANDIN/calls"
		kill -TERM "$rc_pid"
		;;
	*)
		echo "unknown directive $rc_arg" >&2
		return 1
		;;
	esac
}
EOF
# The agent: --check fails when $STANDIN/badconf exists.
cat > "$T/prefix/sbin/anlasser-agent" <<'EOF'
#!/bin/sh
if [ -f "$STANDIN/badconf" ]; then
	echo "/conf/web1.ini:3: memory_mb: 2G is not an integer"
	exit 1
fi
echo "/conf: 1 VM, no problems"
EOF
# The TUI: logs its arguments and whether daemon(8) (the sleep standing in
# for it) was still running; exits with the next status in $STANDIN/tui-rc.
cat > "$T/prefix/bin/anlasser-tui" <<'EOF'
#!/bin/sh
alive=dead
kill -0 "$(cat "$STANDIN/run/anlasser_agent.pid")" 2>/dev/null && alive=alive
echo "tui $* (daemon $alive)" >> "$STANDIN/calls"
rc=0
if [ -s "$STANDIN/tui-rc" ]; then
	rc=$(head -n 1 "$STANDIN/tui-rc")
	sed 1d "$STANDIN/tui-rc" > "$STANDIN/tui-rc.new"
	mv "$STANDIN/tui-rc.new" "$STANDIN/tui-rc"
fi
echo '{"changed": true, "results": []}'
exit "$rc"
EOF
cat > "$T/fakebin/logger" <<'EOF'
#!/bin/sh
echo "logger $* $(cat)" >> "$STANDIN/calls"
EOF
chmod +x "$T/prefix/sbin/anlasser-agent" "$T/prefix/bin/anlasser-tui" \
    "$T/fakebin/logger"
sed -e "s|%%PREFIX%%|$T/prefix|g" -e "s|^\. /etc/rc.subr$|. $T/rc.subr|" \
    -e "s|\"/var/run/\${name}|\"$T/run/\${name}|" \
    -e "s|\"/var/run/anlasser\"|\"$T/run/anlasser\"|" \
    -e "s|\"/var/log/anlasser\"|\"$T/log/anlasser\"|" \
    "$rcin" > "$T/anlasser_agent"
STANDIN=$T
export STANDIN

# Run the script with ARG in a clean environment, as service(8) does;
# more arguments are VAR=value settings (rc.conf, or rc.shutdown's
# rc_shutdown).  The script is sourced, as rc.shutdown and service do.
cat > "$T/rcrun" <<'EOF'
set -- "$RCARG"
. "$SCRIPT"
EOF
rcrun() {
	_arg=$1
	shift
	env -i PATH="$T/fakebin:/usr/bin:/bin:/usr/sbin:/sbin" STANDIN="$T" \
	    RCARG="$_arg" SCRIPT="$T/anlasser_agent" "$@" \
	    sh "$T/rcrun" > "$T/out" 2>&1
}
# Stand-ins for daemon(8) ("sup") and the agent under it ("child"), with
# their pid files; each writes the signal it gets to $T/sig-NAME.
standin() {
	rm -f "$T/sig-$1"
	sh -c 'trap "echo TERM > \"$0\"; exit 0" TERM
	    trap "echo HUP > \"$0\"; exit 0" HUP
	    while :; do sleep 0.1; done' "$T/sig-$1" &
	pids="$pids $!"
	echo $! > "$T/run/anlasser_agent$2.pid"
}
procs_start() {
	standin sup ""
	standin child .child
	: > "$T/calls"
	sleep 0.2
}
# The signal NAME got: wait up to 5 s for one when $2 is "wait".
sig() {
	_i=0
	while [ "$2" = wait ] && [ ! -s "$T/sig-$1" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	cat "$T/sig-$1" 2>/dev/null || echo none
}
procs_stop() {
	for _p in $pids; do
		kill -9 "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	pids=
}

rcrun start anlasser_agent_flags="-d -l /x"
rc=$?
started=$(tr -s ' ' < "$T/started" 2>/dev/null)
want="/usr/sbin/daemon -r -R 5 -P $T/run/anlasser_agent.pid"
want="$want -p $T/run/anlasser_agent.child.pid -S -T anlasser_agent"
want="$want $T/prefix/sbin/anlasser-agent -F -c $T/prefix/etc/anlasser"
want="$want -s /var/run/anlasser.sock -d -l /x"
[ $rc -eq 0 ] && [ "$started" = "$want" ]
ok $? "rc.d start: daemon -P/-p, the agent with -F, flags after it"
echo "# started: $started"
[ $rc -eq 0 ] || diag "$T/out"
[ "$(ls -ld "$T/run/anlasser" 2>/dev/null | cut -c 1-10)" = drwxr-x--- ] &&
    [ "$(ls -ld "$T/log/anlasser" 2>/dev/null | cut -c 1-10)" = drwxr-x--- ]
ok $? "rc.d start: creates the run and log directories, mode 0750"

rm -f "$T/started"
touch "$T/badconf"
rcrun start
rc=$?
rm -f "$T/badconf"
[ $rc -ne 0 ] && [ ! -f "$T/started" ] &&
    grep -q 'web1.ini:3: memory_mb' "$T/out"
ok $? "rc.d start: a configuration with problems is refused and shown"
diag "$T/out"

procs_start
rcrun stop
s=$(sig sup wait)
c=$(sig child)
procs_stop
[ "$s" = TERM ] && [ "$c" = none ] && ! grep -q '^tui' "$T/calls"
ok $? "rc.d stop: signals daemon(8) only, leaves the VMs alone"
echo "# daemon: $s, agent: $c"
diag "$T/calls" "$T/out"

procs_start
rcrun faststop rc_shutdown=reboot
s=$(sig sup wait)
procs_stop
sed -n 1p "$T/calls" | grep -qx "tui --socket /var/run/anlasser.sock --batch stop-all --json (daemon alive)" &&
    sed -n 3p "$T/calls" | grep -q '^signal TERM' && [ "$s" = TERM ]
ok $? "rc.d host shutdown: stop-all while the agent runs, then stop it"
diag "$T/calls"

grep -q '^logger -t anlasser_agent -p daemon.notice stop-all (exit 0): {"changed": true, "results": \[\]}$' "$T/calls"
ok $? "rc.d host shutdown: the stop-all report goes to syslog"

procs_start
rcrun faststop rc_shutdown=reboot anlasser_agent_shutdown_vms=NO
procs_stop
! grep -q '^tui' "$T/calls" && grep -q '^signal TERM' "$T/calls"
ok $? "rc.d host shutdown with anlasser_agent_shutdown_vms=NO: no stop-all"
diag "$T/calls"

procs_start
rcrun faststop
procs_stop
! grep -q '^tui' "$T/calls" && grep -q '^signal TERM' "$T/calls"
ok $? "rc.d faststop outside rc.shutdown: no stop-all"
diag "$T/calls"

procs_start
printf '3\n3\n0\n' > "$T/tui-rc"
rcrun stopvms anlasser_agent_socket=/s.sock
rc=$?
sleep 0.5
s=$(sig sup)
c=$(sig child)
procs_stop
[ $rc -eq 0 ] && [ "$(grep -c '^tui --socket /s.sock --batch stop-all --json' "$T/calls")" -eq 3 ] &&
    [ "$s" = none ] && [ "$c" = none ]
ok $? "rc.d stopvms: stop-all (retried while unreachable), agent kept"
diag "$T/calls" "$T/out"

procs_start
rcrun reload
rc=$?
c=$(sig child wait)
s=$(sig sup)
procs_stop
[ $rc -eq 0 ] && [ "$c" = HUP ] && [ "$s" = none ]
ok $? "rc.d reload: SIGHUP to the agent (child pid), not to daemon(8)"
echo "# daemon: $s, agent: $c"
diag "$T/out"

procs_start
touch "$T/badconf"
rcrun reload
rc=$?
rm -f "$T/badconf"
sleep 0.5
c=$(sig child)
procs_stop
[ $rc -ne 0 ] && [ "$c" = none ] && grep -q 'web1.ini:3' "$T/out"
ok $? "rc.d reload: a configuration with problems is shown, not sent"
diag "$T/out"

# --------------------------------------------------------------- systemd
: > "$T/lint"
for want in '^Type=simple$' '^ExecStart=%%SBINDIR%%/anlasser-agent -F ' \
    '^KillMode=process$' '^ExecReload=/bin/kill -HUP \$MAINPID$' \
    '^RuntimeDirectory=anlasser$' '^RuntimeDirectoryPreserve=yes$' \
    '^ExecStop=.*is-system-running.*stop-all --json' \
    '^WantedBy=multi-user.target$'; do
	grep -q -- "$want" "$unit" || echo "no line matching $want" >> "$T/lint"
done
# systemd expands $VAR itself: a shell's $(...) must be written $$(...).
grep '^Exec' "$unit" | grep -v '\$MAINPID' | grep '[^$]\$[^$]' >> "$T/lint"
[ ! -s "$T/lint" ]
ok $? "systemd: Type=simple, -F, KillMode=process, reload, run dir kept"
diag "$T/lint"

# ------------------------------------------------------ syslog, newsyslog
nsl=$src/contrib/newsyslog/anlasser.conf
sld=$src/contrib/syslog.d/anlasser.conf
awk '!/^#/ && NF {
	bad = 0
	if (NF < 7 || NF > 9) bad = 1
	if ($1 !~ /^\//) bad = 1
	if ($2 !~ /^[a-z_]+:[a-z_]+$/) bad = 1
	if ($3 !~ /^[0-7][0-7][0-7]$/) bad = 1
	if ($4 !~ /^[0-9]+$/) bad = 1
	if ($5 !~ /^([0-9]+|\*)$/) bad = 1
	if ($7 !~ /^[BCDGJNpRSTUXYZ]+$/) bad = 1
	if (NF >= 8 && $8 !~ /^\//) bad = 1
	if (bad) print "bad line: " $0
	n++
}
END { if (n == 0) print "no entries" }' "$nsl" > "$T/lint"
[ ! -s "$T/lint" ]
ok $? "newsyslog: entries have newsyslog.conf(5) fields"
diag "$T/lint"

rotated=$(awk '!/^#/ && NF { print $1 }' "$nsl")
target=$(awk '!/^[#!]/ && NF { print $2 }' "$sld")
[ -n "$target" ] && [ "$rotated" = "$target" ]
ok $? "newsyslog rotates the file syslog.d writes ($target)"

grep -Eq '^!([a-z_-]+,)*anlasser_agent(,[a-z_-]+)*$' "$sld" &&
    grep -q -- '-T ${name}' "$rcin"
ok $? "syslog.d selects the tag the rc.d script gives daemon(8)"

# ------------------------------------------------------------- examples
# Every key of the tables in common/conf.c: "kind name default origin",
# default "-" for none, "?" for one that depends on the platform.
awk '
/^const struct conf_key conf_(vm|agent)_keys\[\] = \{/ {
	on = 1; t = ($0 ~ /conf_vm_keys/) ? "vm" : "agent"; buf = ""; next
}
on && /^};/ {
	on = 0
	nr = split(buf, recs, /\{ \.name = "/)
	for (i = 2; i <= nr; i++) {
		r = recs[i]
		nm = substr(r, 1, index(r, "\"") - 1)
		sub(/%d/, "1", nm)
		def = "-"
		if (match(r, /\.def = "[^"]*"/))
			def = substr(r, RSTART + 8, RLENGTH - 9)
		else if (match(r, /\.def = [A-Za-z_]+/))
			def = "?"
		print t, nm, def, (index(r, "CONF_F_LEGACY") ? "legacy" : "new")
	}
	next
}
on { buf = buf " " $0 }' "$src/common/conf.c" > "$T/keys"
[ "$(grep -c '^vm ' "$T/keys")" -gt 20 ] &&
    [ "$(grep -c '^agent ' "$T/keys")" -gt 10 ]
ok $? "examples: the key tables of common/conf.c can be read"

# The sample shows KEY (commented out or set); a commented-out key of
# this version shows its default.
samplecheck() {
	while read -r kind key def origin; do
		[ "$kind" = "$1" ] || continue
		line=$(grep -E "^(# )?$key = " "$2" | head -n 1)
		if [ -z "$line" ]; then
			echo "$key is missing"
			continue
		fi
		case $line in
		"# "*)
			if [ "$def" != - ] && [ "$def" != "?" ] &&
			    [ "$origin" = new ] &&
			    [ "$line" != "# $key = $def" ]; then
				echo "$line: the default is $def"
			fi
			;;
		esac
	done < "$T/keys"
}
samplecheck agent "$examples/anlasser.conf.sample" > "$T/lint"
[ ! -s "$T/lint" ]
ok $? "examples: anlasser.conf.sample shows every agent key and its default"
diag "$T/lint"

samplecheck vm "$examples/vm.ini.sample" > "$T/lint"
awk '/^\[VM\]$/ { on = 1 } on && /^$/ { exit } on' \
    "$examples/vm.ini.sample" |
    diff "$src/tests/golden/conf/test1/test1.ini" - >> "$T/lint"
[ ! -s "$T/lint" ]
ok $? "examples: vm.ini.sample is test1.ini plus every new key"
diag "$T/lint"

# Both samples load cleanly as they are and with every key uncommented.
mkdir "$T/conf" "$T/conf-all"
cp "$examples/anlasser.conf.sample" "$T/conf/anlasser.conf"
cp "$examples/vm.ini.sample" "$T/conf/test1.ini"
"$agent" --check -c "$T/conf" > "$T/check" 2>&1
ok $? "examples: the samples pass anlasser-agent --check"
diag "$T/check"

for f in anlasser.conf test1.ini; do
	sed -E 's/^# ([a-z0-9_]+ = )/\1/' "$T/conf/$f" > "$T/conf-all/$f"
done
"$agent" --check -c "$T/conf-all" > "$T/check" 2>&1
ok $? "examples: the samples with every key uncommented pass --check"
diag "$T/check"

# --------------------------------------------------------------- Ansible
# yml.py checks the YAML and prints "parser NAME" and "validate CMD".
# Without PyYAML (python3-yaml) it falls back to a small check of the
# block structure (indentation, keys, items, block scalars) and folds the
# validate block scalar itself.
cat > "$T/yml.py" <<'EOF'
import sys

def tiny(text):
    """Structure of a block-style YAML file; returns the folded value of
    the first 'validate: >-' block scalar."""
    validate, block, fold = None, None, None
    for n, line in enumerate(text.split("\n"), 1):
        body = line.lstrip(" ")
        ind = len(line) - len(body)
        if block is not None:
            if not body or ind > block:
                if fold is not None and body:
                    fold.append(body)
                continue
            block = None
            if fold is not None:
                validate, fold = " ".join(fold), None
        if not body or body.startswith("#") or body == "---":
            continue
        if body.startswith("\t") or "\t" in line[:ind]:
            sys.exit("line %d: tab in the indentation" % n)
        item = body[2:] if body.startswith("- ") else body
        if not item.startswith(("'", '"', "{", "[")) and ":" in item:
            key, _, val = item.partition(":")
            if " " in key.strip() and not key.strip().startswith("{"):
                sys.exit("line %d: bad key %r" % (n, key))
            if val.strip() in (">-", ">", "|", "|-"):
                block = ind if not body.startswith("- ") else ind + 2
                if key.strip() == "validate" and validate is None:
                    fold = []
        elif not body.startswith("- "):
            sys.exit("line %d: neither a key nor an item" % n)
    if fold:
        validate = " ".join(fold)
    return validate

text = open(sys.argv[1]).read()
validate = tiny(text)
try:
    import yaml
except ImportError:
    print("parser tiny")
else:
    print("parser yaml")
    play = yaml.safe_load(text)[0]
    problems = []
    for t in play.get("tasks", []) + play.get("handlers", []):
        if "name" not in t:
            problems.append("a task without a name: %r" % t)
        cmd = t.get("ansible.builtin.command", "")
        if "--batch" in cmd and "reload" not in cmd and \
                "from_json).changed" not in str(t.get("changed_when")):
            problems.append("%s: changed_when is not from the JSON"
                            % t.get("name"))
        c = t.get("ansible.builtin.copy")
        if c and "validate" in c:
            if " ".join(c["validate"].split()) != " ".join(validate.split()):
                problems.append("the fallback parser folds validate "
                                "differently")
            validate = c["validate"]
            if t.get("notify") not in [h["name"] for h in
                                       play.get("handlers", [])]:
                problems.append("the copy task notifies no handler")
    if problems:
        sys.exit("\n".join(problems))
if validate:
    print("validate " + " ".join(validate.split("\n")))
EOF
python3 "$T/yml.py" "$site" > "$T/yml" 2> "$T/err"
ok $? "ansible: site.yml parses ($(sed -n 's/^parser //p' "$T/yml") parser)"
diag "$T/err"
if grep -q '^parser tiny' "$T/yml"; then
	echo "# python3-yaml is not installed: block structure checked only"
fi

grep -q '^      ansible.builtin.command: "{{ anl_tui }} --batch reload --json"$' "$site" &&
    grep -q 'command: "{{ anl_tui }} --batch start-all --json"$' "$site" &&
    grep -q '^        (anl_start_all.stdout | from_json).changed$' "$site" &&
    grep -q '^        (anl_vm_state.stdout | from_json).changed$' "$site" &&
    grep -q "{{ 'start' if item.state == 'running' else 'stop' }}" "$site"
ok $? "ansible: reload handler, start-all and start/stop changed_when from JSON"

# The copy task's validate command, run the way Ansible runs it (% file,
# split like a shell, no shell) against a configuration directory that
# holds test1.ini: a good new VM passes, one reusing test1's MAC fails.
cat > "$T/validate.py" <<'EOF'
import shlex, subprocess, sys
cmd, confdir, agent, vm, path = sys.argv[1:6]
cmd = (cmd.replace("{{ anl_conf_dir }}", confdir)
          .replace("{{ anl_agent }}", agent)
          .replace("{{ item.name }}", vm))
r = subprocess.run(shlex.split(cmd % path), capture_output=True, text=True)
sys.stdout.write(r.stdout + r.stderr)
sys.exit(r.returncode)
EOF
vcmd=$(sed -n 's/^validate //p' "$T/yml")
mkdir "$T/ans" "$T/new"
cp "$T/conf/anlasser.conf" "$T/conf/test1.ini" "$T/ans/"
cat > "$T/new/web1.ini" <<'EOF'
[VM]
name = web1
storage_path = /tank/VMs/web1/disk0.img
uefi_vars_storage_path = /tank/VMs/web1/vars.fd
bridge = bridge0
mac = 02:00:00:00:09:01
EOF
sed 's/02:00:00:00:09:01/02:00:00:00:02:01/' "$T/new/web1.ini" \
    > "$T/new/dup.ini"
if [ -n "$vcmd" ]; then
	python3 "$T/validate.py" "$vcmd" "$T/ans" "$agent" web1 \
	    "$T/new/web1.ini" > "$T/v1" 2>&1
	r1=$?
	python3 "$T/validate.py" "$vcmd" "$T/ans" "$agent" web1 \
	    "$T/new/dup.ini" > "$T/v2" 2>&1
	r2=$?
	[ $r1 -eq 0 ] && grep -q ': 2 VMs, no problems$' "$T/v1"
	ok $? "ansible: validate passes a good VM file (checked with the others)"
	diag "$T/v1"
	[ $r2 -ne 0 ] && grep -q 'web1.ini:.*mac: 02:00:00:00:02:01' "$T/v2"
	ok $? "ansible: validate refuses a MAC another VM has"
	diag "$T/v2"
	[ "$(ls "$T/ans")" = "anlasser.conf
test1.ini" ]
	ok $? "ansible: validate leaves the configuration directory alone"
else
	ok 1 "ansible: validate passes a good VM file (no validate found)"
	ok 1 "ansible: validate refuses a MAC another VM has"
	ok 1 "ansible: validate leaves the configuration directory alone"
fi

grep -q 'zfs load-key' "$site" && grep -q 'zfs mount' "$site" &&
    grep -q "^    anl_datasets: \"{{ anlasser_encrypted_datasets | default(\[\]) }}\"\$" "$site"
ok $? "ansible: unlock placeholders that unlock nothing by default"

# ------------------------------------------------------------------ port
mk=$port/Makefile
: > "$T/lint"
for want in '^PORTNAME=	anlasser$' '^DISTVERSION=	' '^CATEGORIES=	sysutils' \
    '^MAINTAINER=	' '^COMMENT=	' '^WWW=	' '^LICENSE=	' \
    '^ONLY_FOR_ARCHS=	amd64$' '^GNU_CONFIGURE=	yes$' \
    '^USE_RC_SUBR=	anlasser_agent$' '^\.include <bsd\.port\.mk>$'; do
	grep -q -- "$want" "$mk" || echo "no line matching $want" >> "$T/lint"
done
uses=$(sed -n 's/^USES=[[:space:]]*//p' "$mk")
for u in autoreconf pkgconfig ncurses; do
	case " $uses " in
	*" $u "*) ;;
	*) echo "USES lacks $u" >> "$T/lint" ;;
	esac
done
# LIB_DEPENDS and RUN_DEPENDS, continuation lines joined.
deps=$(awk '/^(LIB|RUN)_DEPENDS=/ { on = 1 } on { print } on && !/\\$/ { on = 0 }' "$mk")
for d in libjansson.so:devel/jansson libiniparser.so:devel/iniparser \
    libvncserver.so:net/libvncserver libevent.so:devel/libevent \
    'BHYVE_UEFI_CODE.fd:sysutils/edk2@bhyve'; do
	case $deps in
	*"$d"*) ;;
	*) echo "dependency $d is missing" >> "$T/lint" ;;
	esac
done
[ "$(tail -n 1 "$mk")" = ".include <bsd.port.mk>" ] ||
    echo "the last line is not .include <bsd.port.mk>" >> "$T/lint"
[ ! -s "$T/lint" ]
ok $? "port: Makefile variables and dependencies"
diag "$T/lint"

[ -s "$port/pkg-descr" ] && awk 'length > 80 { exit 1 }' "$port/pkg-descr"
ok $? "port: pkg-descr exists, lines of at most 80 columns"

# pkg-plist against install.list: FreeBSD's set, man pages compressed,
# without the rc.d script (USE_RC_SUBR adds it).
sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$src/tests/regress/install.list" |
while read -r a b; do
	if [ -z "$b" ]; then
		echo "$a"
	elif [ "$a" = freebsd ]; then
		echo "$b"
	fi
done | grep -v '^etc/rc\.d/anlasser_agent$' |
    sed 's|^\(share/man/man[1-9]/.*\)$|\1.gz|' | LC_ALL=C sort > "$T/want"
grep -v '^@dir ' "$port/pkg-plist" | sed -e 's/^@sample //' -e 's/ .*//' \
    -e 's|%%EXAMPLESDIR%%|share/examples/anlasser|' \
    -e 's|%%ETCDIR%%|etc/anlasser|' | LC_ALL=C sort > "$T/got"
diff "$T/want" "$T/got" > "$T/diff"
ok $? "port: pkg-plist lists what make install installs on FreeBSD"
diag "$T/diff"

# Every @sample target's directory is in the plist; every @dir is made in
# the stage by post-install.
: > "$T/lint"
sed -n 's/^@sample [^ ]* //p' "$port/pkg-plist" | while read -r t; do
	grep -qx "@dir ${t%/*}" "$port/pkg-plist" ||
	    echo "no @dir ${t%/*} for @sample $t" >> "$T/lint"
done
sed -n 's/^@dir //p' "$port/pkg-plist" | while read -r d; do
	case $d in
	%%ETCDIR%%) s='${STAGEDIR}${ETCDIR}' ;;
	/*) s="\${STAGEDIR}$d" ;;
	*) s="\${STAGEDIR}\${PREFIX}/$d" ;;
	esac
	grep -qF "$s" "$mk" || echo "@dir $d: no $s in Makefile" >> "$T/lint"
done
[ ! -s "$T/lint" ]
ok $? "port: @sample targets and @dir entries exist in the stage"
diag "$T/lint"

# The port's rc.d copy and the plist agree on the config directory.
grep -q '%%PREFIX%%/etc/anlasser' "$rcin" &&
    grep -q '%%ETCDIR%%/anlasser.conf$' "$port/pkg-plist"
ok $? "port: rc.d default config dir is the plist's ETCDIR"

# --------------------------------------------------------------- summary
# The README and the agent's man page point to the integration.
grep -q '^## Host integration' "$src/README.md"
ok $? "docs: README.md has a Host integration section"
grep -q 'service anlasser_agent stopvms' "$src/man/anlasser-agent.8" &&
    grep -q 'from_json' "$src/man/anlasser-agent.8"
ok $? "docs: anlasser-agent(8) EXAMPLES show rc.d and Ansible use"

[ $n -eq 36 ] || echo "# planned 36 tests, ran $n"
[ $failed -eq 0 ] && [ $n -eq 36 ]
