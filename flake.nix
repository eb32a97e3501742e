{
  description = "rootstock: a Nix toolchain whose every layer is accounted for";

  # No inputs: the bootstrap stages are plain derivations and never need nixpkgs.
  outputs = { self }:
    let
      rootstock = import ./nix { root = ./.; };
      forSystems = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) rootstock.systems);
    in
    {
      inherit (rootstock) lib;
      # Every step of the chain, by name: `nix build .#kaem-unwrapped` builds the chain up to it.
      packages = forSystems (system: rootstock.stages.${system});
      # `nix flake check` builds every step; each fixed-output step is checked against its pinned hash.
      checks = forSystems (system: rootstock.stages.${system});
      apps = forSystems (_system: {
        bootstrap = { type = "app"; program = "${self}/dev/nix-run-bootstrap"; };
      });
    };
}
