# A derivation a freshly built nix must build in a store of its own (rootstock.static.checks.smoke_build). Its
# builder is the sandbox shell that nix embeds, so building it also proves the embedded busybox works. system is
# the recipe's, so the check means the same on every system the recipe builds for.
{ system }:
derivation {
  name = "rootstock-smoke";
  inherit system;
  builder = "/bin/sh";
  args = [
    "-c"
    "echo built by the static nix > $out"
  ];
}
