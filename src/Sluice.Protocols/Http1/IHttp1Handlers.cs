namespace Sluice.Protocols.Http1;

/// <summary>Receives the parts of a request line. Spans are valid only during the call.</summary>
public interface IHttp1RequestLineHandler
{
    /// <summary>Called once per request, after the whole request line was validated.</summary>
    void OnRequestLine(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, Http1TargetForm form, Http1Version version);
}

/// <summary>Receives the parts of a status line. Spans are valid only during the call.</summary>
public interface IHttp1StatusLineHandler
{
    /// <summary>Called once per response, after the whole status line was validated.</summary>
    void OnStatusLine(Http1Version version, int statusCode, ReadOnlySpan<byte> reasonPhrase);
}

/// <summary>Receives the fields of a header or trailer section. Spans are valid only during the call.</summary>
public interface IHttp1HeadersHandler
{
    /// <summary>One field; the value is trimmed of OWS and, in relaxed mode, has its folds replaced by SP.</summary>
    void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value);

    /// <summary>The empty line that ends the section was read.</summary>
    void OnHeadersComplete();
}

/// <summary>Handler of a whole request head.</summary>
public interface IHttp1RequestHandler : IHttp1RequestLineHandler, IHttp1HeadersHandler
{
}

/// <summary>Handler of a whole response head.</summary>
public interface IHttp1ResponseHandler : IHttp1StatusLineHandler, IHttp1HeadersHandler
{
}
