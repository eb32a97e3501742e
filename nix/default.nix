# Entry point without flakes: `nix-build nix -A stages.x86_64-linux.hex0`. The flake wires the same attributes.
{ root ? ../. }:
let
  lib = import ./lib;
  pins = import ./generated/pins.nix { inherit lib; };
  stages = import ./generated/stages.nix { inherit lib pins root; };
  static = import ./generated/static-nix.nix { inherit lib pins; };
in
{
  inherit lib pins stages static;
  systems = builtins.attrNames stages;
}
