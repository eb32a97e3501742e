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
      # Every step of the chain, by name: `nix build .#kaem-unwrapped` builds the chain up to it. On the
      # static recipe's system, `nix-static` is the static musl nix (its builds need the host paths of
      # static-nix.toml as extra-sandbox-paths; `rootstock build nix-static` passes them).
      packages = forSystems (system: rootstock.stages.${system}
        // (if system == rootstock.static.system or null
            then { nix-static = rootstock.static.packages.${rootstock.static.defaultToolchain}.${rootstock.static.subject}; }
            else { }));
      # `nix flake check` builds every step; each fixed-output step is checked against its pinned hash.
      checks = forSystems (system: rootstock.stages.${system});
      apps = forSystems (_system: {
        bootstrap = { type = "app"; program = "${self}/dev/nix-run-bootstrap"; };
      });
    };
}
