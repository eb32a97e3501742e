# Entry point without flakes: `nix-build nix -A stages.x86_64-linux.hex0`. The flake wires the same attributes.
# `outputs` (JSON, for `--argstr`): pinned output hashes to use instead of stages.toml's (lib's mkStep).
# `fetchGit`: let the evaluator fetch the git sources the store lacks (the flake does; lib's gitSource). Off
# here, so rootstock's own evaluations never reach the network: it places every pin first.
{ root ? ../., outputs ? "{}", fetchGit ? false }:
let
  lib = import ./lib { outputs = builtins.fromJSON outputs; inherit fetchGit; };
  pins = import ./generated/pins.nix { inherit lib; };
  stages = import ./generated/stages.nix { inherit lib pins root; };
  generatedStatic = import ./generated/static-nix.nix { inherit lib pins; };
  # DDC passes (docs/ddc.md): `ddc.<name>.host` and `ddc.<name>.host2`.
  ddc = import ./generated/ddc.nix { inherit lib pins stages root; };
  # Second builds of every toolchain and package, for `build nix-static --check`.
  static = generatedStatic // {
    rebuilt = {
      toolchains = builtins.mapAttrs (_: lib.static.rebuild) generatedStatic.toolchains;
      packages = builtins.mapAttrs (_: builtins.mapAttrs (_: lib.static.rebuild)) generatedStatic.packages;
    };
  };
in
{
  inherit lib pins stages static ddc;
  systems = builtins.attrNames stages;
}
