#!/bin/sh
# Validate the shipped Prometheus alerting rules and run their unit tests.
#
#   sh tests/cli/promtool.sh [REPO_ROOT]
#
# REPO_ROOT defaults to the directory two levels above this script. Runs
# `promtool check rules` on every deploy/prometheus/*.yml / *.yaml rule file and
# `promtool test rules` on every deploy/prometheus/tests/*.yml / *.yaml test file.
# Exits 0 when everything passes, 1 when a check or test fails or a file set is
# empty, 2 on usage errors, 127 when promtool cannot be found. The promtool binary
# can be overridden with $PROMTOOL.
set -u

if [ "$#" -gt 1 ]; then
	echo "usage: $0 [REPO_ROOT]" >&2
	exit 2
fi

if [ "$#" -eq 1 ]; then
	root=$1
else
	root=$(dirname "$0")/../..
fi
if ! root_abs=$(cd "$root" 2>/dev/null && pwd); then
	echo "promtool.sh: repository root '$root' is not a directory" >&2
	exit 2
fi
root=$root_abs

promtool=${PROMTOOL:-promtool}
if ! command -v "$promtool" >/dev/null 2>&1; then
	echo "promtool.sh: FATAL: '$promtool' not found in PATH." >&2
	echo "promtool.sh: install it (Debian: apt-get install prometheus) or set PROMTOOL=/path/to/promtool." >&2
	echo "promtool.sh: the alerting rules under deploy/prometheus/ were NOT checked." >&2
	exit 127
fi

rules_dir=$root/deploy/prometheus
tests_dir=$rules_dir/tests

echo "promtool.sh: using $(command -v "$promtool") ($("$promtool" --version 2>&1 | head -n 1))"
echo "promtool.sh: repository root $root"

failed=0
nrules=0
ntests=0

# Rule files: every *.yml / *.yaml directly under deploy/prometheus/.
for f in "$rules_dir"/*.yml "$rules_dir"/*.yaml; do
	[ -f "$f" ] || continue
	nrules=$((nrules + 1))
	echo "== promtool check rules ${f#"$root"/}"
	if ! "$promtool" check rules "$f"; then
		echo "promtool.sh: FAILED: check rules ${f#"$root"/}" >&2
		failed=$((failed + 1))
	fi
done

# Unit tests: every *.yml / *.yaml under deploy/prometheus/tests/.
for f in "$tests_dir"/*.yml "$tests_dir"/*.yaml; do
	[ -f "$f" ] || continue
	ntests=$((ntests + 1))
	echo "== promtool test rules ${f#"$root"/}"
	if ! "$promtool" test rules "$f"; then
		echo "promtool.sh: FAILED: test rules ${f#"$root"/}" >&2
		failed=$((failed + 1))
	fi
done

if [ "$nrules" -eq 0 ]; then
	echo "promtool.sh: FAILED: no rule files found in ${rules_dir#"$root"/}" >&2
	failed=$((failed + 1))
fi
if [ "$ntests" -eq 0 ]; then
	echo "promtool.sh: FAILED: no test files found in ${tests_dir#"$root"/}" >&2
	failed=$((failed + 1))
fi

echo "promtool.sh: checked $nrules rule file(s), ran $ntests test file(s), $failed failure(s)"
[ "$failed" -eq 0 ]
