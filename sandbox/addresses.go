package sandbox

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// addressInput is CustomerAddressBase, the body of POST /customers/{id}/addresses.
type addressInput struct {
	AddressLine1 string  `json:"address_line_1"`
	AddressLine2 *string `json:"address_line_2"`
	City         string  `json:"city"`
	Postcode     string  `json:"postcode"`
	CountryCode  string  `json:"country_code"`
	State        *string `json:"state"`
	StateCode    *string `json:"state_code"`
	Suburb       *string `json:"suburb"`
	Type         string  `json:"type"`
}

// addressView is a CustomerAddress as lists show it.
type addressView struct {
	ID         int64  `json:"id"`
	CustomerID string `json:"customer_id"`
	addressInput
	CountryName string `json:"country_name"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

// address is a stored address; id_token is shown when it is created and is
// what a sale's fulfillment_details[].shipping_address_token refers to.
type address struct {
	addressView
	IDToken string `json:"id_token"`
}

// postcodes are the formats the sandbox checks (2026-07 tightened postal-code
// validation for 40 countries; these are the ones a US/CA service meets most).
var postcodes = map[string]*regexp.Regexp{
	"US": regexp.MustCompile(`^\d{5}(-\d{4})?$`),
	"CA": regexp.MustCompile(`(?i)^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$`),
	"AU": regexp.MustCompile(`^\d{4}$`),
	"NZ": regexp.MustCompile(`^\d{4}$`),
	"DE": regexp.MustCompile(`^\d{5}$`),
	"FR": regexp.MustCompile(`^\d{5}$`),
	"NL": regexp.MustCompile(`(?i)^\d{4} ?[A-Z]{2}$`),
	"GB": regexp.MustCompile(`(?i)^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$`),
}

// stateCodes are the valid state_code values where one is required.
var stateCodes = map[string]string{
	"US": "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI UM AA AE AP",
	"CA": "AB BC MB NB NL NS NT NU ON PE QC SK YT",
}

// validate checks the body as the 2026-07 API does, returning the first problem.
func (in addressInput) validate() string {
	cc := strings.ToUpper(in.CountryCode)
	switch {
	case strings.TrimSpace(in.AddressLine1) == "":
		return "address_line_1 is required"
	case utf8.RuneCountInString(in.AddressLine1) > 50:
		return "address_line_1 must be at most 50 characters"
	case in.AddressLine2 != nil && utf8.RuneCountInString(*in.AddressLine2) > 50:
		return "address_line_2 must be at most 50 characters"
	case strings.TrimSpace(in.City) == "":
		return "city is required"
	case utf8.RuneCountInString(in.City) > 28:
		return "city must be at most 28 characters"
	case in.State != nil && utf8.RuneCountInString(*in.State) > 35:
		return "state must be at most 35 characters"
	case in.Type != "BILLING" && in.Type != "SHIPPING":
		return "type must be BILLING or SHIPPING"
	case !isCountry(cc):
		return "country_code must be an ISO 3166-1 alpha-2 code"
	case strings.TrimSpace(in.Postcode) == "":
		return "postcode is required"
	case postcodes[cc] != nil && !postcodes[cc].MatchString(strings.TrimSpace(in.Postcode)):
		return "postcode is not valid for " + cc
	}
	return in.validateState(cc)
}

// validateState requires a known state_code for the US and Canada.
func (in addressInput) validateState(cc string) string {
	codes, required := stateCodes[cc]
	if !required {
		return ""
	}
	if in.StateCode == nil || *in.StateCode == "" {
		return "state_code is required for " + cc
	}
	if !strings.Contains(" "+codes+" ", " "+strings.ToUpper(*in.StateCode)+" ") {
		return "state_code is not valid for " + cc
	}
	return ""
}

// normalized upper-cases the codes the API stores upper-case.
func (in addressInput) normalized() addressInput {
	in.CountryCode = strings.ToUpper(in.CountryCode)
	in.Postcode = strings.TrimSpace(in.Postcode)
	if in.StateCode != nil {
		sc := strings.ToUpper(*in.StateCode)
		in.StateCode = &sc
	}
	return in
}

// isoCountries are the ISO 3166-1 alpha-2 codes.
const isoCountries = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
	"MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG " +
	"UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"

func isCountry(cc string) bool {
	return len(cc) == 2 && strings.Contains(" "+isoCountries+" ", " "+cc+" ")
}

// countryName is the name the API derives from the code (a few; else the code).
func countryName(cc string) string {
	names := map[string]string{"US": "United States", "CA": "Canada", "AU": "Australia",
		"NZ": "New Zealand", "GB": "United Kingdom", "DE": "Germany", "FR": "France", "NL": "Netherlands", "MX": "Mexico"}
	if n, ok := names[cc]; ok {
		return n
	}
	return cc
}
