using Sluice.Config.Diagnostics;
using Sluice.Config.Keywords;
using Sluice.Config.Model;
using Sluice.Config.Parsing;

namespace Sluice.Config.Sections;

/// <summary>
/// Follows the section structure of the configuration: opens sections on their header lines and hands
/// every other line to the keyword tables of the current section. Unknown keywords get the nearest known
/// one as a suggestion; known HAProxy keywords that Sluice lacks are refused as not supported yet.
/// </summary>
internal sealed class SectionParser
{
    private enum Current
    {
        None = 0,
        Global = 1,
        Proxy = 2,
        /// <summary>A section kind Sluice does not support yet: its lines are skipped after one alert.</summary>
        Unsupported = 3,
        Userlist = 4,
        HttpErrors = 5,
        Ring = 6,
        Resolvers = 7,
    }

    private readonly DiagnosticBag _diagnostics;
    private readonly Dictionary<string, ProxySection> _namedDefaults = new(StringComparer.Ordinal);
    private Current _current;
    private ProxySection? _proxy;
    private readonly ProxySection _builtInDefaults = new(ProxyKinds.Defaults, string.Empty, default);
    private ProxySection _defaults;

    private Sluice.Rules.Auth.Userlist? _userlist;
    private HttpErrorsSection? _httpErrors;

    /// <summary>The `ring` section being read; not in <see cref="Rings"/> when its name was taken already.</summary>
    private RingConfig? _ring;

    public SectionParser(DiagnosticBag diagnostics)
    {
        _diagnostics = diagnostics;
        _defaults = _builtInDefaults;
    }

    public GlobalConfig Global { get; private set; } = new();

    public List<ProxySection> Proxies { get; } = [];

    /// <summary>The `ring` sections in order.</summary>
    public List<RingConfig> Rings { get; } = [];

    /// <summary>The `resolvers` sections in order.</summary>
    public List<ResolversConfig> Resolvers { get; } = [];

    /// <summary>The `http-errors` sections by name.</summary>
    public Dictionary<string, HttpErrorsSection> HttpErrors { get; } = new(StringComparer.Ordinal);

    /// <summary>A new file starts outside any section, as in HAProxy.</summary>
    public void StartFile() => _current = Current.None;

    /// <summary>Reads only `userlist` sections (the first pass of a load); every other line is skipped.</summary>
    public bool UserlistsOnly { get; init; }

    public void Parse(ConfigLine line)
    {
        var keyword = line.Words[0];
        if (UserlistsOnly)
        {
            if (Array.IndexOf(HAProxyKeywords.SectionNames, keyword) >= 0)
            {
                _current = keyword == "userlist" ? Current.Userlist : Current.Unsupported;
                if (_current == Current.Userlist)
                {
                    _userlist = Sluice.Rules.Auth.Userlists.Declare(line.Words.Count > 1 ? line.Words[1] : "<unnamed>");
                }
            }
            else if (_current == Current.Userlist)
            {
                UserlistParser.Parse(new KeywordContext(line.File, line.Number, line.Words, 1, negated: false, _diagnostics), _userlist!);
            }

            return;
        }

        if (Array.IndexOf(HAProxyKeywords.SectionNames, keyword) >= 0)
        {
            OpenSection(line);
            return;
        }

        Sluice.Rules.Acls.PatternReferences.Loading.Location = $"file '{line.File}' line {line.Number}";

        switch (_current)
        {
            case Current.Global:
                ParseGlobal(line);
                break;
            case Current.Proxy:
                ParseProxy(line, _proxy!);
                break;
            case Current.Unsupported:
                break;
            case Current.Userlist:
                UserlistParser.Parse(new KeywordContext(line.File, line.Number, line.Words, 1, negated: false, _diagnostics), _userlist!);
                break;
            case Current.HttpErrors:
                ParseHttpErrorsLine(line, _httpErrors!);
                break;
            case Current.Ring:
                var ring = RingParser.Parse(new KeywordContext(line.File, line.Number, line.Words, 1, negated: false, _diagnostics), _ring!);
                if (ReferenceEquals(Rings.LastOrDefault(), _ring))
                {
                    Rings[^1] = ring;
                }

                _ring = ring;
                break;
            case Current.Resolvers:
                Resolvers[^1] = ResolversParser.Parse(new KeywordContext(line.File, line.Number, line.Words, 1, negated: false, _diagnostics), Resolvers[^1]);
                break;
            default:
                _diagnostics.Alert(line.File, line.Number, $"unknown keyword '{keyword}' out of section.");
                break;
        }
    }

    private void OpenSection(ConfigLine line)
    {
        var kind = line.Words[0];
        var location = new Location(line.File, line.Number);
        _proxy = null;
        switch (kind)
        {
            case "global":
                _current = Current.Global;
                if (line.Words.Count > 1)
                {
                    _diagnostics.Alert(line.File, line.Number, $"'global' cannot handle unexpected argument '{line.Words[1]}'.");
                }

                return;
            case "userlist":
                _current = Current.Userlist;
                if (line.Words.Count < 2)
                {
                    _diagnostics.Alert(line.File, line.Number, "'userlist' expects <name> as arguments.");
                }

                _userlist = Sluice.Rules.Auth.Userlists.Declare(line.Words.Count > 1 ? line.Words[1] : "<unnamed>");
                return;
            case "http-errors":
                OpenHttpErrors(line);
                return;
            case "ring":
                OpenRing(line);
                return;
            case "resolvers":
                OpenResolvers(line);
                return;
            case "defaults" or "frontend" or "backend" or "listen":
                _current = Current.Proxy;
                OpenProxy(line, kind, location);
                return;
            default:
                _current = Current.Unsupported;
                _diagnostics.Alert(line.File, line.Number, $"'{kind}' sections are not supported yet.");
                return;
        }
    }

    private void OpenHttpErrors(ConfigLine line)
    {
        _current = Current.Unsupported;
        if (line.Words.Count < 2)
        {
            _diagnostics.Alert(line.File, line.Number, "missing name for http-errors section.");
            return;
        }

        var name = line.Words[1];
        if (HttpErrors.TryGetValue(name, out var previous))
        {
            _diagnostics.Alert(line.File, line.Number, $"http-errors section '{name}' already exists (declared at {previous.Location}).");
            return;
        }

        _httpErrors = new HttpErrorsSection(name, new Location(line.File, line.Number).ToString());
        HttpErrors[name] = _httpErrors;
        _current = Current.HttpErrors;
    }

    private void OpenResolvers(ConfigLine line)
    {
        _current = Current.Unsupported;
        if (line.Words.Count < 2)
        {
            _diagnostics.Alert(line.File, line.Number, "missing name for resolvers section.");
            return;
        }

        var name = line.Words[1];
        if (Resolvers.Find(r => r.Name == name) is { } previous)
        {
            _diagnostics.Alert(line.File, line.Number, $"resolvers section '{name}' has the same name as another resolvers section declared at {previous.Location}.");
            return;
        }

        Resolvers.Add(new ResolversConfig { Name = name, Location = new Location(line.File, line.Number).ToString() });
        _current = Current.Resolvers;
    }

    private void OpenRing(ConfigLine line)
    {
        _current = Current.Unsupported;
        if (line.Words.Count < 2)
        {
            _diagnostics.Alert(line.File, line.Number, "missing ring name.");
            return;
        }

        var name = line.Words[1];
        _ring = new RingConfig { Name = name };
        _current = Current.Ring;
        if (Rings.Exists(r => r.Name == name) || name is "stdout" or "stderr" || name == Logging.Ring.DefaultName)
        {
            // Its lines are still read and checked, as HAProxy does, into a ring that is then forgotten.
            _diagnostics.Alert(line.File, line.Number, $"sink named '{name}' already exists.");
            return;
        }

        Rings.Add(_ring);
    }

    /// <summary>An `http-errors` section holds only `errorfile CODE FILE` lines.</summary>
    private void ParseHttpErrorsLine(ConfigLine line, HttpErrorsSection section)
    {
        var ctx = new KeywordContext(line.File, line.Number, line.Words, 1, negated: false, _diagnostics);
        if (line.Words[0] != "errorfile")
        {
            ctx.Alert($"unknown keyword '{line.Words[0]}' in 'http-errors' section");
            return;
        }

        if (HttpKeywordParsers.ParseErrorFileLine(ctx, Global.BufSize, "errorfile: ") is { } page)
        {
            section.Replies[page.Status] = page.Reply!;
        }
    }

    /// <summary>HAProxy refuses a named defaults section used both by `from` and as the implicit parent.</summary>
    private void AlertMixedDefaultsUse(ConfigLine line, ProxySection defaults) =>
        _diagnostics.Alert(line.File, line.Number, $"defaults section '{defaults.Name}' (declared at {defaults.Location}) is explicitly referenced by another proxy and implicitly used here. To avoid any ambiguity don't mix both usage. Add a last defaults section not explicitly used or always use explicit references.");

    private void OpenProxy(ConfigLine line, string kindName, Location location)
    {
        var kind = kindName switch
        {
            "defaults" => ProxyKinds.Defaults,
            "frontend" => ProxyKinds.Frontend,
            "backend" => ProxyKinds.Backend,
            _ => ProxyKinds.Listen,
        };

        var words = line.Words;
        var name = words.Count > 1 && words[1] != "from" ? words[1] : string.Empty;
        var fromIndex = name.Length > 0 ? 2 : 1;
        if (kind != ProxyKinds.Defaults && name.Length == 0)
        {
            _diagnostics.Alert(line.File, line.Number, $"'{kindName}' expects <name> as arguments.");
            name = "<unnamed>";
        }

        var invalid = name.FirstOrDefault(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':'));
        if (invalid != '\0' && name != "<unnamed>")
        {
            _diagnostics.Alert(line.File, line.Number, $"character '{invalid}' is not permitted in '{kindName}' name '{name}'.");
        }

        // A defaults section starts again from the built-in settings unless it names one with `from` (HAProxy).
        var parent = kind == ProxyKinds.Defaults ? _builtInDefaults : _defaults;
        if (words.Count > fromIndex)
        {
            if (words[fromIndex] != "from" || words.Count != fromIndex + 2)
            {
                _diagnostics.Alert(line.File, line.Number, $"'{kindName} {name}' : unexpected argument '{words[fromIndex]}', expects 'from <defaults-name>'.");
            }
            else if (_namedDefaults.TryGetValue(words[fromIndex + 1], out var named))
            {
                parent = named;
                named.IsReferenced = true;
                if (named.IsImplicitlyUsed)
                {
                    AlertMixedDefaultsUse(line, named);
                }
            }
            else
            {
                _diagnostics.Alert(line.File, line.Number, $"'{kindName} {name}' : defaults section '{words[fromIndex + 1]}' not found.");
            }
        }

        else if (kind != ProxyKinds.Defaults && parent.Name.Length > 0)
        {
            parent.IsImplicitlyUsed = true;
            if (parent.IsReferenced)
            {
                AlertMixedDefaultsUse(line, parent);
            }
        }

        var section = parent.CopyAs(kind, name, location);
        section.Global = Global;
        _proxy = section;
        if (kind == ProxyKinds.Defaults)
        {
            // The last defaults section, named or not, is the implicit parent of the sections that follow.
            _defaults = section;
            if (name.Length > 0)
            {
                if (_namedDefaults.TryGetValue(name, out var previous))
                {
                    _diagnostics.Alert(line.File, line.Number, $"defaults section '{name}' has the same name as another defaults section declared at {previous.Location}.");
                }

                _namedDefaults[name] = section;
            }

            return;
        }

        foreach (var other in Proxies)
        {
            var clash = (section.IsFrontend && other.IsFrontend) || (section.IsBackend && other.IsBackend);
            if (clash && other.Name == name)
            {
                _diagnostics.Alert(line.File, line.Number, $"{section.MessageKind} '{name}' has the same name as {other.MessageKind} '{name}' declared at {other.Location}.");
                break;
            }
        }

        Proxies.Add(section);
    }

    private void ParseGlobal(ConfigLine line)
    {
        var negated = line.Words[0] == "no" && line.Words.Count > 1;
        var index = negated ? 1 : 0;
        var keyword = line.Words[index];
        var ctx = new KeywordContext(line.File, line.Number, line.Words, index + 1, negated, _diagnostics);
        if (GlobalKeywordTable.Keywords.TryGetValue(keyword, out var parse))
        {
            if (negated && keyword != "strict-limits")
            {
                ctx.Alert($"'no {keyword}' is not a valid form of '{keyword}'.");
                return;
            }

            Global = parse(ctx, Global) ?? Global;
            return;
        }

        if (Array.IndexOf(HAProxyKeywords.Global, keyword) >= 0)
        {
            ctx.Alert(keyword == "stats" && line.Words.Count > index + 1
                ? $"'stats {line.Words[index + 1]}' is not supported yet."
                : $"'{keyword}' is not supported yet.");
            return;
        }

        var known = GlobalKeywordTable.Keywords.Keys.Concat(HAProxyKeywords.Global);
        ctx.Alert($"unknown keyword '{keyword}' in 'global' section{KeywordSuggestions.Suffix(keyword, known)}");
    }

    private void ParseProxy(ConfigLine line, ProxySection section)
    {
        var words = line.Words;
        var negated = words[0] == "no" && words.Count > 1;
        var index = negated ? 1 : 0;
        var keyword = words[index];

        if (keyword == "option")
        {
            ParseOption(line, section, negated, index);
            return;
        }

        if (negated && keyword == "log" && words.Count == 2)
        {
            // `no log`: HAProxy's one negated keyword besides the options; the proxy forgets its log targets.
            LogKeywordParsers.ParseLog(new KeywordContext(line.File, line.Number, words, 2, negated: true, _diagnostics), section);
            return;
        }

        if (negated)
        {
            _diagnostics.Alert(line.File, line.Number, $"'no' is only supported before 'option' keywords (got 'no {keyword}').");
            return;
        }

        if (keyword == "timeout")
        {
            ParseTimeout(line, section);
            return;
        }

        var ctx = new KeywordContext(line.File, line.Number, words, 1, negated: false, _diagnostics);
        if (ProxyKeywordTable.Keywords.TryGetValue(keyword, out var entry))
        {
            if (Allowed(ctx, entry, section))
            {
                entry.Parse(ctx, section);
            }

            return;
        }

        if (Array.IndexOf(HAProxyKeywords.Proxy, keyword) >= 0)
        {
            var shown = keyword is "http-response" or "tcp-request" or "tcp-response" or "stats" or "capture" or "stick" or "http-check" or "tcp-check" or "monitor" or "declare" or "rate-limit" or "persist"
                && words.Count > 1 ? $"{keyword} {words[1]}" : keyword;
            ctx.Alert($"'{shown}' is not supported yet.");
            return;
        }

        var known = ProxyKeywordTable.Keywords.Keys.Concat(HAProxyKeywords.Proxy);
        ctx.Alert($"unknown keyword '{keyword}' in '{section.KindName}' section{KeywordSuggestions.Suffix(keyword, known)}");
    }

    private void ParseOption(ConfigLine line, ProxySection section, bool negated, int index)
    {
        var ctx = new KeywordContext(line.File, line.Number, line.Words, index + 2, negated, _diagnostics);
        if (line.Words.Count <= index + 1)
        {
            ctx.Alert("'option' expects an option name.");
            return;
        }

        var name = line.Words[index + 1];
        if (ProxyKeywordTable.Options.TryGetValue(name, out var entry))
        {
            if (Allowed(ctx, entry, section))
            {
                entry.Parse(ctx, section);
            }

            return;
        }

        if (Array.IndexOf(HAProxyKeywords.Options, name) >= 0)
        {
            ctx.Alert($"option '{name}' is not supported yet.");
            return;
        }

        var known = ProxyKeywordTable.Options.Keys.Concat(HAProxyKeywords.Options);
        ctx.Alert($"unknown option '{name}'{KeywordSuggestions.Suffix(name, known)}");
    }

    private void ParseTimeout(ConfigLine line, ProxySection section)
    {
        var ctx = new KeywordContext(line.File, line.Number, line.Words, 2, negated: false, _diagnostics);
        var name = line.Words.Count > 1 ? line.Words[1] : string.Empty;
        if (!ProxyKeywordTable.Timeouts.TryGetValue(name, out var timeout))
        {
            ctx.Alert($"'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin', 'server-fin' and 'client-hs' (got '{name}')");
            return;
        }

        if (ctx.ArgumentCount != 1)
        {
            ctx.Alert(ctx.ArgumentCount == 0 ? $"'timeout {name}' expects an integer value (in milliseconds)" : $"'timeout {name}' cannot handle unexpected argument '{ctx.Argument(1)}'.");
            return;
        }

        var error = ValueParsers.ParseTime(ctx.Argument(0)!, out var value);
        if (error is not null)
        {
            ctx.Alert(error == "timer overflow"
                ? $"timer overflow in argument '{ctx.Argument(0)}' to 'timeout {name}' (maximum value is 2147483647 ms or ~24.8 days)"
                : $"{error} in 'timeout {name}'");
            return;
        }

        if ((timeout.Where & section.Kind) == 0)
        {
            var missing = (timeout.Where & ProxyKinds.Backend) != 0 ? "backend" : "frontend";
            ctx.Warning($"'timeout {name}' will be ignored because {section.MessageKind} '{section.Name}' has no {missing} capability");
            return;
        }

        section.Timeouts = timeout.Set(section.Timeouts, value);
    }

    /// <summary>
    /// A keyword for the other side of a proxy is ignored with HAProxy's warning (e.g. <c>balance</c> in a
    /// frontend); <c>bind</c>, <c>server</c> and <c>server-template</c> outside their sections are errors.
    /// </summary>
    private static bool Allowed(KeywordContext ctx, ProxyKeyword entry, ProxySection section)
    {
        if ((entry.Where & section.Kind) != 0)
        {
            return true;
        }

        var missing = (entry.Where & ProxyKinds.Backend) != 0 ? "backend" : "frontend";
        if (entry.Name is "bind" or "server" or "server-template")
        {
            ctx.Alert(section.Kind == ProxyKinds.Defaults
                ? $"'{entry.Name}' not allowed in '{section.KindName}' section."
                : $"'{entry.Name}' not allowed because {section.MessageKind} '{section.Name}' has no {missing} capability.");
            return false;
        }

        var hint = entry.Name == "maxconn" ? " Maybe you want 'fullconn' instead ?" : string.Empty;
        // HAProxy names an option without the word "option" here ('redispatch' ignored because ...).
        ctx.Warning($"'{entry.Name}' ignored because {section.MessageKind} '{section.Name}' has no {missing} capability.{hint}");
        return false;
    }
}
