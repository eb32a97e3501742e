{
  description = "rootstock: a Nix toolchain whose every layer is accounted for";

  # No inputs: the bootstrap stages are plain derivations and never need nixpkgs.
  outputs = { self }:
    let
      rootstock = import ./nix { root = ./.; };
      forSystems = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) rootstock.systems);
    in
    {
      lib = rootstock.lib;
      # Every step of the chain, by name; `nix build .#kaem-unwrapped` builds the chain up to it.
      packages = forSystems (system: rootstock.stages.${system});
      checks = forSystems (system: rootstock.stages.${system});
    };
}
