using System.Net;
using Sluice.Protocols.Dns;

namespace Sluice.Protocols.Tests.Dns;

/// <summary>RFC 1035 messages written out by hand: a query, and responses with compressed names, CNAME chains and errors.</summary>
public class DnsMessageTests
{
    // Header of a response to id 0x1234: QR, RD, RA, the code in the low nibble; one question, then ANCOUNT answers.
    private static string Header(int answers, int code = 0, bool truncated = false) =>
        "1234" + (truncated ? "83" : "81") + (0x80 | code).ToString("X2", System.Globalization.CultureInfo.InvariantCulture) + "0001" + answers.ToString("X4", System.Globalization.CultureInfo.InvariantCulture) + "00000000";

    // "app.test" A IN, at offset 12.
    private const string QuestionA = "03617070" + "0474657374" + "00" + "0001" + "0001";

    [Fact]
    public void Query_AsRfc1035_WithOptRecord()
    {
        var query = new byte[DnsMessage.MaxQueryLength];
        var length = DnsMessage.WriteQuery(query, 0x1234, "app.test", DnsRecordType.Aaaa, 1232);
        Assert.Equal(
            "1234" + "0100" + "0001" + "0000" + "0000" + "0001" + "03617070" + "0474657374" + "00" + "001C" + "0001"
            + "00" + "0029" + "04D0" + "00000000" + "0000",
            Convert.ToHexString(query, 0, length));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData("exämple.test")]
    public void Query_NameThatCannotBeAsked_Zero(string name) =>
        Assert.Equal(0, DnsMessage.WriteQuery(new byte[DnsMessage.MaxQueryLength], 1, name, DnsRecordType.A, 0));

    [Fact]
    public void Response_CompressedCnameThenAddresses_TheAddressesInOrder()
    {
        // app.test CNAME web.test (web at offset 38), web.test A 192.0.2.1, web.test A 192.0.2.2; names compressed.
        var hex = Header(3) + QuestionA
            + "C00C" + "0005" + "0001" + "0000003C" + "0006" + "03776562" + "C010"
            + "C026" + "0001" + "0001" + "0000003C" + "0004" + "C0000201"
            + "C026" + "0001" + "0001" + "0000003C" + "0004" + "C0000202";
        var answer = DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.A);
        Assert.NotNull(answer);
        Assert.Equal(DnsResponseCode.NoError, answer.Value.Code);
        Assert.Equal([IPAddress.Parse("192.0.2.1"), IPAddress.Parse("192.0.2.2")], answer.Value.Addresses);
    }

    [Fact]
    public void Response_OtherTypeOnly_NoAddress()
    {
        var hex = Header(1) + QuestionA + "C00C" + "001C" + "0001" + "0000003C" + "0010" + "20010DB8000000000000000000000001";
        Assert.Empty(DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.A)!.Value.Addresses);
        Assert.Equal([IPAddress.Parse("2001:db8::1")], DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.Aaaa)!.Value.Addresses);
    }

    [Theory]
    [InlineData(3, DnsResponseCode.NameError)]
    [InlineData(5, DnsResponseCode.Refused)]
    [InlineData(2, DnsResponseCode.ServerFailure)]
    public void Response_ErrorCode(int code, DnsResponseCode expected) =>
        Assert.Equal(expected, DnsMessage.ReadResponse(Convert.FromHexString(Header(0, code) + QuestionA), DnsRecordType.A)!.Value.Code);

    [Fact]
    public void Response_Truncated_Flagged() =>
        Assert.True(DnsMessage.ReadResponse(Convert.FromHexString(Header(0, truncated: true) + QuestionA), DnsRecordType.A)!.Value.Truncated);

    [Theory]
    [InlineData("0100")] // shorter than a header
    [InlineData("1234" + "0100" + "0001" + "0000" + "0000" + "0000" + "03617070")] // a query, not a response
    public void Malformed_Null(string hex) => Assert.Null(DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.A));

    [Fact]
    public void Response_AnswerPastTheEnd_Null()
    {
        var hex = Header(1) + QuestionA + "C00C" + "0001" + "0001" + "0000003C" + "0004" + "C000";
        Assert.Null(DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.A));
    }

    [Fact]
    public void Response_LabelRunningPastTheEnd_Null()
    {
        var hex = Header(0) + "3F617070";
        Assert.Null(DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.A));
    }
}
