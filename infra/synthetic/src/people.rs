//! People and their inquiry records, with known duplicates: the same person writing again with
//! a typo, a nickname, swapped name fields, a reformatted or new phone, an upper-case email or
//! missing fields; and look-alikes that are different people (spouses sharing a phone, parents
//! and children of the same name, common names in one town).

use crate::rng::Rng;
use chrono::NaiveDate;

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Christopher",
    "Karen",
    "Charles",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Margaret",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Dorothy",
    "George",
    "Melissa",
    "Timothy",
    "Deborah",
    "Ronald",
    "Stephanie",
    "Edward",
    "Rebecca",
    "Jason",
    "Sharon",
    "Jeffrey",
    "Laura",
    "Ryan",
    "Cynthia",
    "Jacob",
    "Kathleen",
    "Gary",
    "Amy",
    "Nicholas",
    "Angela",
    "Eric",
    "Shirley",
    "Jonathan",
    "Anna",
    "Stephen",
    "Brenda",
    "Larry",
    "Pamela",
    "Justin",
    "Emma",
    "Scott",
    "Nicole",
    "Brandon",
    "Helen",
    "Benjamin",
    "Samantha",
    "Samuel",
    "Katherine",
    "Gregory",
    "Christine",
    "Alexander",
    "Debra",
    "Frank",
    "Rachel",
    "Patrick",
    "Carolyn",
    "Raymond",
    "Janet",
    "Jack",
    "Catherine",
    "Dennis",
    "Maria",
    "Jerry",
    "Heather",
    "Tyler",
    "Diane",
    "Aaron",
    "Ruth",
    "Jose",
    "Julie",
    "Adam",
    "Olivia",
    "Nathan",
    "Joyce",
    "Henry",
    "Virginia",
    "Douglas",
    "Victoria",
    "Zachary",
    "Kelly",
    "Peter",
    "Lauren",
    "Kyle",
    "Christina",
    "Ethan",
    "Joan",
    "Walter",
    "Evelyn",
    "Noah",
    "Judith",
    "Jeremy",
    "Megan",
    "Christian",
    "Andrea",
    "Keith",
    "Cheryl",
    "Roger",
    "Hannah",
    "Terry",
    "Jacqueline",
    "Gerald",
    "Martha",
    "Harold",
    "Gloria",
    "Sean",
    "Teresa",
    "Austin",
    "Ann",
    "Carl",
    "Sara",
    "Arthur",
    "Madison",
    "Lawrence",
    "Frances",
    "Dylan",
    "Kathryn",
    "Jesse",
    "Janice",
    "Jordan",
    "Jean",
    "Bryan",
    "Abigail",
    "Billy",
    "Alice",
    "Joe",
    "Julia",
    "Bruce",
    "Judy",
    "Gabriel",
    "Sophia",
    "Logan",
    "Grace",
    "Albert",
    "Denise",
    "Willie",
    "Amber",
    "Alan",
    "Doris",
    "Juan",
    "Marilyn",
    "Wayne",
    "Danielle",
    "Elijah",
    "Beverly",
    "Randy",
    "Isabella",
    "Roy",
    "Theresa",
    "Vincent",
    "Diana",
    "Ralph",
    "Natalie",
    "Eugene",
    "Brittany",
    "Russell",
    "Charlotte",
    "Bobby",
    "Marie",
    "Mason",
    "Kayla",
    "Philip",
    "Alexis",
    "Louis",
    "Lori",
    "Priya",
    "Wei",
    "Aisha",
    "Mohammed",
    "Chen",
    "Fatima",
    "Hiroshi",
    "Ngozi",
    "Zoë",
    "José",
];

/// Nicknames people use on a second form (a subset of the matching table).
const NICK: &[(&str, &str)] = &[
    ("Robert", "Bob"),
    ("Robert", "Rob"),
    ("William", "Bill"),
    ("William", "Will"),
    ("Elizabeth", "Liz"),
    ("Elizabeth", "Beth"),
    ("James", "Jim"),
    ("James", "Jimmy"),
    ("Michael", "Mike"),
    ("Richard", "Rick"),
    ("Joseph", "Joe"),
    ("Thomas", "Tom"),
    ("Christopher", "Chris"),
    ("Jennifer", "Jen"),
    ("Margaret", "Maggie"),
    ("Katherine", "Kate"),
    ("Daniel", "Dan"),
    ("Matthew", "Matt"),
    ("Anthony", "Tony"),
    ("Samantha", "Sam"),
    ("Samuel", "Sam"),
    ("Patricia", "Trish"),
    ("Deborah", "Debbie"),
    ("Rebecca", "Becky"),
    ("Jessica", "Jess"),
    ("Steven", "Steve"),
    ("Edward", "Ed"),
    ("Kenneth", "Ken"),
    ("Timothy", "Tim"),
    ("Gregory", "Greg"),
    ("Alexander", "Alex"),
    ("Nicholas", "Nick"),
    ("Benjamin", "Ben"),
    ("Jacob", "Jake"),
    ("Victoria", "Vicky"),
    ("Zachary", "Zach"),
    ("Pamela", "Pam"),
    ("Jonathan", "Jon"),
    ("Cynthia", "Cindy"),
    ("Kimberly", "Kim"),
    ("Douglas", "Doug"),
];

const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
    "Powell",
    "Jenkins",
    "Perry",
    "Russell",
    "Sullivan",
    "Bell",
    "Coleman",
    "Butler",
    "Henderson",
    "Barnes",
    "Gonzales",
    "Fisher",
    "Vasquez",
    "Simmons",
    "Romero",
    "Jordan",
    "Patterson",
    "Alexander",
    "Hamilton",
    "Graham",
    "Reynolds",
    "Griffin",
    "Wallace",
    "Moreno",
    "West",
    "Cole",
    "Hayes",
    "Bryant",
    "Herrera",
    "Gibson",
    "Ellis",
    "Tran",
    "Medina",
    "Aguilar",
    "Stevens",
    "Murray",
    "Ford",
    "Castro",
    "Marshall",
    "Owens",
    "Harrison",
    "Fernandez",
    "McDonald",
    "Woods",
    "Washington",
    "Kennedy",
    "Wells",
    "Vargas",
    "Henry",
    "Chen",
    "Freeman",
    "Webb",
    "Tucker",
    "Guzman",
    "Burns",
    "Crawford",
    "Olson",
    "Simpson",
    "Porter",
    "Hunter",
    "Gordon",
    "Mendez",
    "Silva",
    "Shaw",
    "Snyder",
    "Mason",
    "Dixon",
    "Munoz",
    "Hunt",
    "Hicks",
    "Holmes",
    "Palmer",
    "Wagner",
    "Black",
    "Robertson",
    "Boyd",
    "Rose",
    "Stone",
    "Salazar",
    "Fox",
    "Warren",
    "Mills",
    "Meyer",
    "Rice",
    "Schmidt",
    "Garza",
    "Daniels",
    "Ferguson",
    "Nichols",
    "Stephens",
    "Soto",
    "Weaver",
    "Ryan",
    "Gardner",
    "Payne",
    "Grant",
    "Dunn",
    "Kelley",
    "Spencer",
    "Hawkins",
    "Arnold",
    "Pierce",
    "Hansen",
    "Peters",
    "Santos",
    "Hart",
    "Bradley",
    "Knight",
    "Elliott",
    "Cunningham",
    "Duncan",
    "Armstrong",
    "Hudson",
    "Carroll",
    "Lane",
    "Riley",
    "Andrews",
    "Ray",
    "Berry",
    "Perkins",
    "Hoffman",
    "Johnston",
    "Matthews",
    "Pena",
    "Richards",
    "Contreras",
    "Willis",
    "Carpenter",
    "Lawrence",
    "Sandoval",
    "O'Brien",
    "Nakamura",
    "Okafor",
    "Kowalski",
    "Müller",
    "Rossi",
    "Haddad",
    "Singh",
    "Yilmaz",
    "Dubois",
];

const DOMAINS: &[&str] = &["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com", "hotmail.com", "comcast.net", "example.org"];

/// Area codes whose numbers can take texts (New Jersey and New York).
const AREAS: &[u32] = &[201, 551, 973, 862, 908, 732, 848, 609, 856, 212, 646, 718, 917, 347, 914, 516, 631];

/// One inquiry record as a form would have sent it (raw text, before intake's parsing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// The real person behind the record: records with the same id are duplicates.
    pub person: usize,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub postal_code: Option<String>,
}

impl PersonRecord {
    /// The record as matching sees it after intake's parsing (US phone numbers to E.164, emails
    /// checked and lower-cased), so formatting differences disappear exactly as in production.
    pub fn facts(&self) -> leadflow::domain::matching::PersonFacts {
        use leadflow::domain::{Email, Phone, Region};
        let phone = self.phone.as_deref().and_then(|p| Phone::parse(p, Region::US).ok());
        let email = self.email.as_deref().and_then(|e| Email::parse(e).ok());
        leadflow::domain::matching::PersonFacts::new(
            &self.first_name,
            &self.last_name,
            phone.as_ref().map(|p| p.as_e164()),
            email.as_ref().map(|e| e.as_str()),
            self.date_of_birth,
            self.postal_code.as_deref(),
        )
    }
}

#[derive(Clone)]
struct Person {
    first: String,
    last: String,
    area: u32,
    line: u32,
    email: String,
    dob: NaiveDate,
    zip: String,
}

fn typo(rng: &mut Rng, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 4 {
        return s.to_string();
    }
    // Keep the first letter: people rarely mistype it, and it keeps the example fair.
    let i = 1 + rng.below((c.len() - 2) as u64) as usize;
    match rng.below(4) {
        0 => {
            c.swap(i, i + 1);
        }
        1 => {
            c.remove(i);
        }
        2 => {
            let ch = c[i];
            c.insert(i, ch);
        }
        _ => {
            c[i] = *rng.pick(&['a', 'e', 'i', 'o', 'n', 'r', 's', 't']);
        }
    }
    c.into_iter().collect()
}

fn phone_text(rng: &mut Rng, area: u32, line: u32) -> String {
    let (ex, ln) = (line / 10_000, line % 10_000);
    match rng.below(5) {
        0 => format!("({area}) {ex}-{ln:04}"),
        1 => format!("{area}-{ex}-{ln:04}"),
        2 => format!("+1 {area} {ex} {ln:04}"),
        3 => format!("{area}.{ex}.{ln:04}"),
        _ => format!("{area}{ex}{ln:04}"),
    }
}

fn new_line(rng: &mut Rng) -> u32 {
    // Exchanges 200-989 (valid NANP), any line number.
    (200 + rng.below(790) as u32) * 10_000 + rng.below(10_000) as u32
}

/// `n_people` people and their records. About a quarter of the people wrote twice (some three
/// times); about 6% share a phone and surname with a household member; about 1% share their
/// full name with a parent or child at the same address.
pub fn generate(seed: u64, n_people: usize) -> Vec<PersonRecord> {
    let mut rng = Rng::new(seed);
    let zips: Vec<String> = (0..60).map(|i| format!("07{:03}", 2 + i * 7)).collect();
    let mut people: Vec<Person> = Vec::with_capacity(n_people);
    let mut emails = std::collections::HashSet::new();
    let mut unique = |email: String| -> String {
        let mut candidate = email.clone();
        let mut k = 2;
        while !emails.insert(candidate.clone()) {
            let (local, domain) = email.split_once('@').expect("generated emails have a domain");
            candidate = format!("{local}{k}@{domain}");
            k += 1;
        }
        candidate
    };
    let mut n = 0usize;
    while people.len() < n_people {
        n += 1;
        let first = rng.skewed(FIRST).to_string();
        let last = rng.skewed(LAST).to_string();
        let area = *rng.pick(AREAS);
        let email_local = match rng.below(4) {
            0 => format!("{}.{}{}", first, last, n % 100),
            1 => format!("{}{}{}", &first[..1], last, n % 1000),
            2 => format!("{}_{}{}", first, last, 1950 + n % 60),
            _ => format!("{}{}", first, n),
        };
        let email_local: String = email_local.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_').collect();
        let dob =
            NaiveDate::from_ymd_opt(1940 + rng.below(65) as i32, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32).expect("valid date");
        let p = Person {
            first,
            last,
            area,
            line: new_line(&mut rng),
            email: unique(format!("{}@{}", email_local.to_lowercase(), rng.pick(DOMAINS))),
            dob,
            zip: rng.skewed(&zips).clone(),
        };
        // Look-alikes that are different people.
        if rng.chance(0.06) && people.len() + 1 < n_people {
            let spouse_first = loop {
                let f = rng.skewed(FIRST).to_string();
                if f != p.first {
                    break f;
                }
            };
            let spouse = Person {
                first: spouse_first.clone(),
                email: unique(format!("{}.{}{}@{}", spouse_first, p.last, n % 97, rng.pick(DOMAINS)).to_lowercase()),
                dob: NaiveDate::from_ymd_opt(1940 + rng.below(65) as i32, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32)
                    .expect("valid"),
                ..p.clone()
            };
            people.push(p.clone());
            people.push(spouse);
            continue;
        }
        if rng.chance(0.01) && people.len() + 1 < n_people {
            let junior = Person {
                email: unique(format!("{}.{}.jr{}@{}", p.first, p.last, n % 89, rng.pick(DOMAINS)).to_lowercase()),
                dob: p.dob.with_year(p.dob.year_ce().1 as i32 + 28).unwrap_or(p.dob),
                // Half share the family's phone: without birth dates such pairs are truly
                // ambiguous, the hardest case for any matcher.
                line: if rng.chance(0.5) { p.line } else { new_line(&mut rng) },
                ..p.clone()
            };
            people.push(p.clone());
            people.push(junior);
            continue;
        }
        people.push(p);
    }
    people.truncate(n_people);

    let mut records = Vec::with_capacity(n_people * 5 / 4);
    for (id, p) in people.iter().enumerate() {
        let base = PersonRecord {
            person: id,
            first_name: p.first.clone(),
            last_name: p.last.clone(),
            phone: Some(phone_text(&mut rng, p.area, p.line)),
            email: rng.chance(0.9).then(|| p.email.clone()),
            date_of_birth: rng.chance(0.5).then_some(p.dob),
            postal_code: rng.chance(0.85).then(|| p.zip.clone()),
        };
        records.push(base);
        let copies = if rng.chance(0.25) { 1 + usize::from(rng.chance(0.2)) } else { 0 };
        for _ in 0..copies {
            records.push(variant(&mut rng, id, p));
        }
    }
    records
}

use chrono::Datelike;

/// Another record of the same person, changed the ways real second inquiries are.
fn variant(rng: &mut Rng, id: usize, p: &Person) -> PersonRecord {
    let mut first = p.first.clone();
    let mut last = p.last.clone();
    let nicknames: Vec<&str> = NICK.iter().filter(|(full, _)| *full == p.first).map(|(_, nick)| *nick).collect();
    if !nicknames.is_empty() && rng.chance(0.35) {
        first = rng.pick(&nicknames).to_string();
    }
    if rng.chance(0.15) {
        first = typo(rng, &first);
    }
    if rng.chance(0.15) {
        last = typo(rng, &last);
    }
    if rng.chance(0.06) {
        std::mem::swap(&mut first, &mut last);
    }
    if rng.chance(0.1) {
        first = first.to_uppercase();
        last = last.to_uppercase();
    }
    // Contact details: reformatted, missing, or new - but the person stays recognizable by at
    // least one of phone, email, or name with birth date.
    let keep_phone = rng.chance(0.75);
    let keep_email = !keep_phone || rng.chance(0.6);
    let phone = if keep_phone {
        Some(phone_text(rng, p.area, p.line))
    } else if rng.chance(0.4) {
        let line = new_line(rng);
        Some(phone_text(rng, p.area, line))
    } else {
        None
    };
    let email = if keep_email { Some(if rng.chance(0.3) { p.email.to_uppercase() } else { p.email.clone() }) } else { None };
    PersonRecord {
        person: id,
        first_name: first,
        last_name: last,
        phone,
        email,
        date_of_birth: rng.chance(0.5).then_some(p.dob),
        postal_code: rng.chance(0.8).then(|| if rng.chance(0.2) { format!("{}-{:04}", p.zip, rng.below(10_000)) } else { p.zip.clone() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_has_duplicates() {
        let a = generate(7, 500);
        assert_eq!(a, generate(7, 500));
        assert!(a.len() > 550 && a.len() < 700, "{}", a.len());
        let people: std::collections::HashSet<usize> = a.iter().map(|r| r.person).collect();
        assert_eq!(people.len(), 500);
    }
}
