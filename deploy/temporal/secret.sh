# Sourced by the Temporal scripts: `secret NAME` prints /run/secrets/NAME, one trailing newline
# removed; a missing or empty secret stops the container, naming it.
secret() {
    local file="/run/secrets/$1" value
    if [[ ! -f ${file} ]]; then
        echo "$0: secret $1 is missing (${file}); see docs/operations.md" >&2
        exit 1
    fi
    value="$(cat "${file}"; printf x)"
    value="${value%x}"
    value="${value%$'\n'}"
    value="${value%$'\r'}"
    if [[ -z ${value//[[:space:]]/} ]]; then
        echo "$0: secret $1 is empty (${file})" >&2
        exit 1
    fi
    printf '%s' "${value}"
}
