using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Config.Sections;

namespace Sluice.Config;

/// <summary>
/// Turns the parsed sections into the immutable runtime model and checks what only the whole
/// configuration can tell: references between proxies, modes that cannot work together, missing timeouts.
/// Every problem is reported; the model is returned only when there is no alert.
/// </summary>
internal static class ConfigBuilder
{
    private const string MissingTimeoutsAdvice =
        "\n   | While not properly invalid, you will certainly encounter various problems" +
        "\n   | with such a configuration. To fix this, please ensure that all following" +
        "\n   | timeouts are set to a non-zero value: 'client', 'connect', 'server'.";

    public static SluiceConfig? Build(GlobalConfig global, IReadOnlyList<ProxySection> sections, DiagnosticBag diagnostics)
    {
        var ids = AssignIds(sections, diagnostics);
        var backends = new Dictionary<string, BackendConfig>(StringComparer.Ordinal);
        var backendList = new List<BackendConfig>();
        foreach (var section in sections)
        {
            if (!section.IsBackend)
            {
                continue;
            }

            var backend = BuildBackend(section, ids[section], diagnostics);
            backends[section.Name] = backend;
            backendList.Add(backend);
        }

        var frontends = new List<FrontendConfig>();
        foreach (var section in sections)
        {
            if (section.IsFrontend)
            {
                frontends.Add(BuildFrontend(section, ids[section], backends, diagnostics));
            }
        }

        foreach (var section in sections)
        {
            WarnMissingTimeouts(section, diagnostics);
        }

        if (diagnostics.HasAlerts)
        {
            return null;
        }

        return new SluiceConfig { Global = global, Frontends = frontends, Backends = backendList };
    }

    /// <summary>Proxy ids: the one given with <c>id</c>, otherwise the first free number from 1 in declaration order.</summary>
    private static Dictionary<ProxySection, int> AssignIds(IReadOnlyList<ProxySection> sections, DiagnosticBag diagnostics)
    {
        var ids = new Dictionary<ProxySection, int>();
        var used = new Dictionary<int, ProxySection>();
        foreach (var section in sections)
        {
            if (section.Id is { } id)
            {
                if (used.TryGetValue(id, out var other))
                {
                    diagnostics.Alert(section.Location.File, section.Location.Line, $"{section.MessageKind} '{section.Name}' has the same id {id} as {other.MessageKind} '{other.Name}' declared at {other.Location}.");
                }

                used[id] = section;
                ids[section] = id;
            }
        }

        var next = 1;
        foreach (var section in sections)
        {
            if (ids.ContainsKey(section))
            {
                continue;
            }

            while (used.ContainsKey(next))
            {
                next++;
            }

            ids[section] = next;
            used[next] = section;
        }

        return ids;
    }

    private static BackendConfig BuildBackend(ProxySection section, int id, DiagnosticBag diagnostics)
    {
        var servers = new List<ServerConfig>(section.Servers.Count);
        for (var i = 0; i < section.Servers.Count; i++)
        {
            var line = section.Servers[i];
            servers.Add(new ServerConfig
            {
                Name = line.Name,
                Location = line.Location.ToString(),
                Address = line.Address,
                Id = i + 1,
                Weight = line.Options.Weight,
                MaxConn = line.Options.MaxConn,
                Backup = line.Options.Backup,
                Disabled = line.Options.Disabled,
                Source = line.Options.Source,
            });
        }

        return new BackendConfig
        {
            Name = section.Name,
            Location = section.Location.ToString(),
            Id = id,
            Mode = section.Mode,
            Balance = section.Balance,
            Servers = servers,
            Timeouts = section.Timeouts,
            Retries = section.Retries,
            Redispatch = section.Redispatch,
            AllBackups = section.AllBackups,
            Source = section.Source,
            Disabled = section.Disabled,
            Description = section.Description,
        };
    }

    private static FrontendConfig BuildFrontend(ProxySection section, int id, Dictionary<string, BackendConfig> backends, DiagnosticBag diagnostics)
    {
        var binds = new List<BindConfig>();
        foreach (var line in section.Binds)
        {
            foreach (var address in line.Addresses)
            {
                binds.Add(line.Options with { Address = address });
            }
        }

        BackendConfig? defaultBackend = null;
        if (section.DefaultBackend is { } reference)
        {
            if (!backends.TryGetValue(reference.Name, out defaultBackend))
            {
                diagnostics.ConfigAlert($"Proxy '{section.Name}': unable to find required default_backend: '{reference.Name}'.");
            }
        }
        else if (section.Kind == ProxyKinds.Listen)
        {
            defaultBackend = backends.GetValueOrDefault(section.Name);
        }

        if (defaultBackend is not null && defaultBackend.Mode != section.Mode)
        {
            diagnostics.ConfigAlert($"Proxy '{section.Name}': unable to use backend '{defaultBackend.Name}' in mode '{ModeName(defaultBackend.Mode)}' from {section.MessageKind} '{section.Name}' in mode '{ModeName(section.Mode)}'.");
        }

        return new FrontendConfig
        {
            Name = section.Name,
            Location = section.Location.ToString(),
            Id = id,
            Mode = section.Mode,
            Binds = binds,
            Timeouts = section.Timeouts,
            MaxConn = section.MaxConn,
            Backlog = section.Backlog,
            DefaultBackend = defaultBackend,
            Disabled = section.Disabled,
            Description = section.Description,
        };
    }

    private static string ModeName(ProxyMode mode) => mode == ProxyMode.Http ? "http" : "tcp";

    /// <summary>HAProxy's warning when a proxy lacks <c>timeout client</c>, <c>connect</c> or <c>server</c>.</summary>
    private static void WarnMissingTimeouts(ProxySection section, DiagnosticBag diagnostics)
    {
        if (section.Disabled)
        {
            return;
        }

        var t = section.Timeouts;
        var missing = (section.IsFrontend && t.Client is null)
            || (section.IsBackend && (t.Connect is null || t.Server is null));
        if (missing)
        {
            diagnostics.ConfigWarning($"missing timeouts for {section.MessageKind} '{section.Name}'.{MissingTimeoutsAdvice}");
        }
    }
}
