namespace Sluice.Config.Model;

/// <summary>How `cookie NAME MODE` carries the server's identity.</summary>
internal enum CookieMode
{
    /// <summary>`insert`: the proxy adds `Set-Cookie: NAME=SERVER` to responses.</summary>
    Insert = 0,
    /// <summary>`rewrite`: the server sets NAME itself; the proxy replaces its value with the server's cookie value.</summary>
    Rewrite = 1,
    /// <summary>`prefix`: the proxy prefixes the server's own NAME cookie with `SERVER~`, and strips it from requests.</summary>
    Prefix = 2,
}

/// <summary>
/// `cookie NAME [rewrite|insert|prefix] [indirect] [nocache] [postonly] [preserve] [httponly] [secure] [domain D]...
/// [maxidle T] [maxlife T] [dynamic] [attr A]...`, with the backend's `dynamic-cookie-key`.
/// </summary>
internal sealed record CookieConfig
{
    public required string Name { get; init; }
    public CookieMode Mode { get; init; }
    /// <summary>No cookie is sent to a client that has a valid one; in insert mode the cookie is removed from requests.</summary>
    public bool Indirect { get; init; }
    /// <summary>Cacheable responses that get a cookie also get `Cache-control: private`.</summary>
    public bool NoCache { get; init; }
    /// <summary>The cookie is inserted only into responses to POST requests.</summary>
    public bool PostOnly { get; init; }
    /// <summary>A cookie NAME that the server set itself is left untouched.</summary>
    public bool Preserve { get; init; }
    public bool HttpOnly { get; init; }
    public bool Secure { get; init; }
    /// <summary>`domain` values: each one adds `; domain=D` to the inserted cookie.</summary>
    public IReadOnlyList<string> Domains { get; init; } = [];
    /// <summary>`attr` values: each one adds `; A` to the inserted cookie, after the other attributes.</summary>
    public IReadOnlyList<string> Attributes { get; init; } = [];
    /// <summary>`maxidle`: a cookie whose last-seen date is older than this many seconds is ignored; 0 for none.</summary>
    public long MaxIdleSeconds { get; init; }
    /// <summary>`maxlife`: a cookie first set longer ago than this many seconds is ignored; 0 for none.</summary>
    public long MaxLifeSeconds { get; init; }
    /// <summary>`dynamic`: servers without `cookie` get one computed from <see cref="DynamicKey"/>, address and port.</summary>
    public bool Dynamic { get; init; }
    /// <summary>The backend's `dynamic-cookie-key`; without one no cookie is computed.</summary>
    public string? DynamicKey { get; init; }

    /// <summary>Insert-mode cookies carry their dates (`VALUE|LAST[|FIRST]`) when either limit is set.</summary>
    public bool HasDates => MaxIdleSeconds > 0 || MaxLifeSeconds > 0;
}
